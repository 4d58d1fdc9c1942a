import ArgumentParser
import DMLCore
import DMLSandbox
import Foundation

/// `dml algo`: build and try algorithm packages locally, before publishing them.
struct AlgoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "algo", abstract: "Pack and run algorithm packages locally.", subcommands: [Pack.self, Run.self, AlgoBench.self])

    struct Pack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pack a folder (manifest.json and the modules it names) into one package file; prints its address.")
        @Argument(help: "The folder with manifest.json.") var folder: String
        @Option(help: "Where to write the package (default: FOLDER/../NAME-VERSION.dmlpkg.json).") var out: String?

        func run() async throws {
            let package: AlgorithmPackage
            do { package = try AlgorithmPackage.pack(folder: URL(fileURLWithPath: folder)) } catch {
                throw CommandFailure(error.description)
            }
            let manifest = package.manifest
            let path = out ?? URL(fileURLWithPath: folder).deletingLastPathComponent()
                .appendingPathComponent("\(manifest.name)-\(manifest.version).dmlpkg.json").path
            try Data(package.bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
            print("packed \(manifest.name) \(manifest.version): \(package.bytes.count) bytes, address \(package.address.hex)")
            print(path)
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a package on a local file in the sandbox, as a device would; prints the outcome and output.",
            discussion: "CSV input (numbers, optional header) becomes an f32-matrix for f32-matrix algorithms; other files are passed as they are.")
        @Argument(help: "A package file (from `dml algo pack`) or a folder with manifest.json.") var package: String
        @Option(help: "The input file (CSV, or raw bytes).") var input: String
        @Option(help: "Columns to drop from the right of each CSV row (a label).") var dropColumns: Int = 0
        @Flag(help: "Run in a child process with the wall-clock bound (as `dml worker` does).") var child = false
        @Flag(help: "Print the result as JSON (with a receipt signed by a throwaway key).") var json = false

        func run() async throws {
            let loaded = try Self.load(package)
            let bytes = try WorkerInput.read(URL(fileURLWithPath: input), manifest: loaded.manifest, dropColumns: dropColumns)
            let runner: any AlgorithmRunner = child ? ChildProcessSandbox.ofThisExecutable() : InProcessRunner()
            let started = Date()
            let result = await runner.run(loaded, input: bytes)
            let elapsed = Date().timeIntervalSince(started)
            if json {
                let receipt = RunReceipt(result: result, algorithm: loaded.address, key: AccountKey())
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let document = ["result": try JSONSerialization.jsonObject(with: encoder.encode(RunResultDocument(result))),
                                "receipt": try JSONSerialization.jsonObject(with: encoder.encode(receipt))]
                print(String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
            } else {
                print("\(loaded.manifest.name) \(loaded.manifest.version): \(result.outcome)")
                print("fuel used \(result.fuelUsed) of \(loaded.manifest.limits.fuel) · \(String(format: "%.1f", elapsed * 1_000)) ms")
                print("input  \(result.inputDigest.hex)\noutput \(result.outputDigest.hex)")
                for line in result.logs { print("log: \(line)") }
                if result.outcome == .completed {
                    for (field, value) in zip(loaded.manifest.output.fields, OutputCodec.vector(result.output)) {
                        print("\(field)\t\(value)")
                    }
                }
            }
            if result.outcome != .completed { throw ExitCode(2) }
        }

        static func load(_ path: String) throws -> AlgorithmPackage {
            var isFolder: ObjCBool = false
            do {
                if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                    return try AlgorithmPackage.pack(folder: URL(fileURLWithPath: path))
                }
                guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path)") }
                return try AlgorithmPackage(bytes: [UInt8](data))
            } catch let error as PackageError {
                throw CommandFailure(error.description)
            }
        }
    }
}

/// A device's local file in a manifest's input format.
enum WorkerInput {
    static func read(_ file: URL, manifest: AlgorithmManifest, dropColumns: Int) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: file.path) else { throw CommandFailure("cannot read \(file.path)") }
        do {
            return try InputCodec.input(fromFile: [UInt8](data), schema: manifest.input, dropColumns: dropColumns)
        } catch {
            throw CommandFailure("\(file.path): \(error.description)")
        }
    }
}

/// `dml sandbox-exec`: the child side of `ChildProcessSandbox` (reads a request on stdin,
/// answers one JSON run result on stdout). Not for people.
struct SandboxExec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox-exec", abstract: "Run one sandboxed request from stdin (used by the worker and the server).",
        shouldDisplay: false)

    func run() async throws {
        // blocking: the sandbox child has nothing else to do until its request is read.
        let request = FileHandle.standardInput.readDataToEndOfFile()
        let answer = ChildProcessSandbox.serve(request: request)
        FileHandle.standardOutput.write(try JSONEncoder().encode(answer))
    }
}
