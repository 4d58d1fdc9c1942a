import DMLCore
import Foundation

/// Named Ed25519 keys in `DIR/keys/NAME.key`: the 32-byte seed in hex, readable by the owner
/// only (0600), in a folder only the owner can enter (0700).
public struct KeyStore {
    public let directory: String

    public init(dataDirectory: String) {
        directory = (dataDirectory as NSString).appendingPathComponent("keys")
    }

    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    static func validate(_ name: String) throws(Failure) {
        guard !name.isEmpty, name.count <= 64,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw Failure(message: "key name '\(name)' must be 1–64 letters, digits, - or _")
        }
    }

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent("\(name).key") }

    /// Creates a new random key named `name`; refuses to overwrite one.
    public func create(_ name: String) throws(Failure) -> AccountKey {
        try store(AccountKey(), as: name)
    }

    /// Stores `key` as `name` with owner-only permissions; refuses to overwrite.
    @discardableResult
    public func store(_ key: AccountKey, as name: String) throws(Failure) -> AccountKey {
        try Self.validate(name)
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw Failure(message: "cannot create \(directory): \(error.localizedDescription)")
        }
        let file = path(name)
        // O_EXCL: never overwrite a key; mode 0600 from the first byte, not chmod after.
        let descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw Failure(message: errno == EEXIST ? "a key named '\(name)' already exists" : "cannot write \(file): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let text = Array((Hex.encode(key.seed) + "\n").utf8)
        guard write(descriptor, text, text.count) == text.count, fsync(descriptor) == 0 else {
            throw Failure(message: "cannot write \(file): \(String(cString: strerror(errno)))")
        }
        return key
    }

    public func load(_ name: String) throws(Failure) -> AccountKey {
        try Self.validate(name)
        guard let text = try? String(contentsOfFile: path(name), encoding: .utf8) else {
            throw Failure(message: "no key named '\(name)' in \(directory) (create one with: dml keys create \(name))")
        }
        guard let seed = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), let key = try? AccountKey(seed: seed) else {
            throw Failure(message: "\(path(name)) does not hold a 32-byte hex seed")
        }
        return key
    }

    /// Every stored key, by name.
    public func list() throws(Failure) -> [(name: String, key: AccountKey)] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".key") }.map { String($0.dropLast(4)) }.sorted()
        var keys: [(String, AccountKey)] = []
        for name in names { keys.append((name, try load(name))) }
        return keys
    }

    /// An account from a key name or a `dml1…` address.
    public func account(_ nameOrAddress: String) throws -> AccountID {
        if nameOrAddress.hasPrefix(AccountID.addressPrefix + "1") { return try AccountID(address: nameOrAddress) }
        return try load(nameOrAddress).account
    }
}
