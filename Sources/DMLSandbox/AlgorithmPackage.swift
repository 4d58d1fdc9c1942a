import DMLCore
import Foundation

/// An algorithm as it is published: its manifest and the WebAssembly modules it names.
///
/// On the wire and on disk a package is one JSON document (`PackageFile`), so any language can
/// build one; its address is the SHA-256 of those exact bytes. `dml algo pack DIR` writes one
/// from a folder holding `manifest.json` and the modules.
public struct AlgorithmPackage: Sendable {
    public static let formatName = "dml-algorithm-package-1"
    /// The most bytes a package file may have (the API's artifact limit is the same).
    public static let bytesMax = 64 * 1024 * 1024

    public let manifest: AlgorithmManifest
    /// Module file name → WebAssembly bytes.
    public let modules: [String: [UInt8]]
    /// SHA-256 of the package file: what receipts and jobs name.
    public let address: Hash256
    /// The package file itself.
    public let bytes: [UInt8]

    /// Reads and checks a package file: JSON shape, manifest problems, every named module present
    /// and starting with the WebAssembly magic, nothing extra.
    public init(bytes: [UInt8]) throws(PackageError) {
        guard bytes.count <= Self.bytesMax else { throw .tooLarge(bytes: bytes.count, max: Self.bytesMax) }
        let file: PackageFile
        do {
            file = try JSONDecoder().decode(PackageFile.self, from: Data(bytes))
        } catch {
            throw .malformed(Self.describe(error))
        }
        guard file.format == Self.formatName else { throw .malformed("format is '\(file.format)', expected '\(Self.formatName)'") }
        let problems = file.manifest.problems()
        guard problems.isEmpty else { throw .invalidManifest(problems) }
        var modules: [String: [UInt8]] = [:]
        for (name, text) in file.modules {
            guard let data = Data(base64Encoded: text) else { throw .malformed("module '\(name)' is not base64") }
            let module = [UInt8](data)
            guard module.starts(with: [0x00, 0x61, 0x73, 0x6D]) else { throw .notWebAssembly(name) }
            modules[name] = module
        }
        for name in file.manifest.moduleNames where modules[name] == nil { throw .missingModule(name) }
        let extra = Set(modules.keys).subtracting(file.manifest.moduleNames)
        guard extra.isEmpty else { throw .malformed("modules not named by the manifest: \(extra.sorted().joined(separator: ", "))") }
        self.manifest = file.manifest
        self.modules = modules
        self.bytes = bytes
        self.address = Hash256.of(bytes)
    }

    /// Builds the package file for `manifest` and `modules` (deterministic: sorted keys).
    public init(manifest: AlgorithmManifest, modules: [String: [UInt8]]) throws(PackageError) {
        let file = PackageFile(format: Self.formatName, manifest: manifest,
                               modules: modules.mapValues { Data($0).base64EncodedString() })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(file) else { throw .malformed("the package cannot be encoded") }
        try self.init(bytes: [UInt8](data))
    }

    /// Reads a folder with `manifest.json` and the modules it names.
    public static func pack(folder: URL) throws(PackageError) -> AlgorithmPackage {
        let manifestURL = folder.appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: manifestURL) else { throw .malformed("cannot read \(manifestURL.path)") }
        let manifest: AlgorithmManifest
        do { manifest = try JSONDecoder().decode(AlgorithmManifest.self, from: data) } catch {
            throw .malformed("manifest.json: \(describe(error))")
        }
        var modules: [String: [UInt8]] = [:]
        for name in manifest.moduleNames {
            guard !name.contains("/"), let module = try? Data(contentsOf: folder.appendingPathComponent(name)) else {
                throw .missingModule(name)
            }
            modules[name] = [UInt8](module)
        }
        return try AlgorithmPackage(manifest: manifest, modules: modules)
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? Swift.DecodingError else { return "not JSON" }
        func path(_ keys: [any CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
        switch error {
        case let .keyNotFound(key, context): return "missing field '\(path(context.codingPath + [key]))'"
        case let .typeMismatch(_, context), let .valueNotFound(_, context):
            return "wrong type at '\(path(context.codingPath))': \(context.debugDescription)"
        case let .dataCorrupted(context): return "bad value at '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default: return "not JSON"
        }
    }
}

/// The JSON shape of a package file.
struct PackageFile: Codable {
    var format: String
    var manifest: AlgorithmManifest
    /// File name → base64 of the module.
    var modules: [String: String]
}

public enum PackageError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooLarge(bytes: Int, max: Int)
    case malformed(String)
    case invalidManifest([String])
    case missingModule(String)
    case notWebAssembly(String)

    public var code: String {
        switch self {
        case .tooLarge: "algorithm.package_too_large"
        case .malformed: "algorithm.package_malformed"
        case .invalidManifest: "algorithm.invalid_manifest"
        case .missingModule: "algorithm.missing_module"
        case .notWebAssembly: "algorithm.not_webassembly"
        }
    }

    public var description: String {
        switch self {
        case let .tooLarge(bytes, max): "the package has \(bytes) bytes, at most \(max)"
        case .malformed(let why): "the package is malformed: \(why)"
        case .invalidManifest(let problems): "the manifest is invalid: \(problems.joined(separator: "; "))"
        case .missingModule(let name): "the package lacks module '\(name)' that its manifest names"
        case .notWebAssembly(let name): "module '\(name)' is not WebAssembly (no \\0asm header)"
        }
    }
}
