import DMLSandbox
import DMLSystem
import Foundation

/// WebAssembly test modules built from C with the toolchain's clang, once per source.
enum WasmFixtures {
    /// The ABI imports, as an author declares them.
    static let prelude = """
    #define IMPORT(name) __attribute__((import_module("dml"), import_name(#name)))
    IMPORT(input_size) int input_size(void);
    IMPORT(input_read) int input_read(void *dst, int offset, int len);
    IMPORT(output_write) int output_write(const void *src, int len);
    IMPORT(log) void dml_log(const void *src, int len);

    """

    private static let cache = Cache()

    /// Compiles `source` (the prelude is prepended) to a module exporting `run`; clang runs as
    /// a child process awaited as an event, so no thread of the cooperative pool waits for it.
    static func module(_ source: String, flags: [String] = []) async throws -> [UInt8] {
        let key = source + flags.joined(separator: " ")
        if let cached = cache.get(key) { return cached }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dml-wasm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sourceURL = folder.appendingPathComponent("m.c"), output = folder.appendingPathComponent("m.wasm")
        try (prelude + source).write(to: sourceURL, atomically: true, encoding: .utf8)
        let clang = try await ChildProcess.run("/usr/bin/env", ["clang", "--target=wasm32", "-nostdlib", "-O1", "-Wl,--no-entry",
                                                                "-Wl,--export=run", "-o", output.path, sourceURL.path] + flags)
        guard clang.exit.succeeded else { throw FixtureError(message: "clang failed: \(clang.error)") }
        let bytes = [UInt8](try Data(contentsOf: output))
        cache.set(key, bytes)
        return bytes
    }

    /// A package around one module, with the given limits and an f64-vector output of `fields`.
    static func package(_ module: [UInt8], input: AlgorithmManifest.InputSchema = .init(format: .bytes),
                        fields: [String] = ["value"], limits: AlgorithmManifest.Limits = .init(fuel: 5_000_000, memoryPages: 16, outputBytes: 1_024),
                        aggregation: AggregationRule = .sum) throws -> AlgorithmPackage {
        let manifest = AlgorithmManifest(name: "fixture", version: "1", module: "main.wasm", input: input,
                                         output: .init(fields: fields), limits: limits, aggregation: aggregation)
        return try AlgorithmPackage(manifest: manifest, modules: ["main.wasm": module])
    }

    struct FixtureError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    private final class Cache: @unchecked Sendable {
        private let lock = NSLock()
        private var modules: [String: [UInt8]] = [:]
        func get(_ key: String) -> [UInt8]? { lock.withLock { modules[key] } }
        func set(_ key: String, _ value: [UInt8]) { lock.withLock { modules[key] = value } }
    }
}

/// Small C programs used by several tests.
enum Programs {
    /// Sums the input bytes and writes the sum as one f64.
    static let byteSum = """
    static unsigned char buffer[4096];
    int run(void) {
        double sum = 0; int offset = 0, got;
        while ((got = input_read(buffer, offset, sizeof buffer)) > 0) {
            for (int i = 0; i < got; i++) sum += buffer[i];
            offset += got;
        }
        dml_log("summed", 6);
        output_write(&sum, 8);
        return 0;
    }
    """
}
