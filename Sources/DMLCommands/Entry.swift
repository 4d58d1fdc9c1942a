import ArgumentParser
import Foundation

/// Runs `dml` with the process arguments; prints errors plainly and exits non-zero.
public enum DMLMain {
    public static func run(_ arguments: [String]? = nil) async {
        do {
            var command = try DML.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("error: \(failure.message)\n".utf8))
            exit(1)
        } catch {
            DML.exit(withError: error)
        }
    }
}
