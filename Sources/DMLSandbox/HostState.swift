import WasmKit

/// Why a host function stopped the guest.
enum HostStop: Error {
    case outputLimit(bytesMax: Int)
    case badArgument(String)

    func outcome(stage: String) -> RunOutcome {
        switch self {
        case .outputLimit(let max): .outputLimit(bytes: max)
        case .badArgument(let why): .trap(stage: stage, reason: why)
        }
    }
}

/// The host side of one stage's run: its input, the output so far, the log, and the four
/// functions of the ABI over them. One per run, used by one thread.
final class HostState {
    let input: [UInt8]
    let outputBytesMax: Int
    private(set) var output: [UInt8] = []
    private(set) var logs: [String] = []
    /// Set after instantiation: the module's exported memory.
    var memory: Memory?

    init(input: [UInt8], outputBytesMax: Int) {
        self.input = input
        self.outputBytesMax = outputBytesMax
    }

    func resetOutput() { output.removeAll(keepingCapacity: true) }

    func functions(store: Store) -> [(String, Function)] {
        [
            ("input_size", Function(store: store, parameters: [], results: [.i32]) { [unowned self] _, _ in
                [.i32(UInt32(self.input.count))]
            }),
            ("input_read", Function(store: store, parameters: [.i32, .i32, .i32], results: [.i32]) { [unowned self] _, arguments in
                [.i32(UInt32(try self.read(arguments)))]
            }),
            ("output_write", Function(store: store, parameters: [.i32, .i32], results: [.i32]) { [unowned self] _, arguments in
                try self.write(arguments)
                return [.i32(0)]
            }),
            ("log", Function(store: store, parameters: [.i32, .i32], results: []) { [unowned self] _, arguments in
                try self.log(arguments)
                return []
            }),
        ]
    }

    /// `input_read(dst, offset, len)`.
    private func read(_ arguments: [Value]) throws -> Int {
        let (destination, offset, length) = try (Self.int(arguments, 0), Self.int(arguments, 1), Self.int(arguments, 2))
        guard offset <= input.count else { return 0 }
        let count = min(length, input.count - offset)
        guard count > 0 else { return 0 }
        let memory = try guestMemory()
        try Self.check(destination, count, in: memory)
        memory.withUnsafeMutableBufferPointer(offset: UInt(destination), count: count) { target in
            input.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
            }
        }
        return count
    }

    /// `output_write(src, len)`.
    private func write(_ arguments: [Value]) throws {
        let (source, length) = try (Self.int(arguments, 0), Self.int(arguments, 1))
        guard output.count + length <= outputBytesMax else { throw HostStop.outputLimit(bytesMax: outputBytesMax) }
        let memory = try guestMemory()
        try Self.check(source, length, in: memory)
        memory.withUnsafeBufferPointer(offset: UInt(source), count: length) { output.append(contentsOf: $0) }
    }

    /// `log(src, len)`: kept only while there is room; never fails the run for being long.
    private func log(_ arguments: [Value]) throws {
        let (source, length) = try (Self.int(arguments, 0), Self.int(arguments, 1))
        guard logs.count < HostABI.logLinesMax else { return }
        let memory = try guestMemory()
        try Self.check(source, length, in: memory)
        let kept = min(length, HostABI.logLineBytesMax)
        memory.withUnsafeBufferPointer(offset: UInt(source), count: kept) { bytes in
            logs.append(String(decoding: bytes, as: UTF8.self))
        }
    }

    private func guestMemory() throws -> Memory {
        guard let memory else { throw HostStop.badArgument("the module called the host before it was instantiated") }
        return memory
    }

    private static func int(_ arguments: [Value], _ index: Int) throws -> Int {
        guard index < arguments.count, case .i32(let raw) = arguments[index] else {
            throw HostStop.badArgument("argument \(index) is not an i32")
        }
        let value = Int32(bitPattern: raw)
        guard value >= 0 else { throw HostStop.badArgument("argument \(index) is negative (\(value))") }
        return Int(value)
    }

    private static func check(_ start: Int, _ count: Int, in memory: Memory) throws {
        guard start + count <= memory.byteCount else {
            throw HostStop.badArgument("bytes \(start)..<\(start + count) are outside the module's \(memory.byteCount)-byte memory")
        }
    }
}
