import DMLCore

/// The height and time of the block being built: the only notion of time the ledger has.
public struct BlockEnvironment: Hashable, Sendable {
    public let height: UInt64
    public let timestampMilliseconds: UInt64

    public init(height: UInt64, timestampMilliseconds: UInt64) {
        self.height = height
        self.timestampMilliseconds = timestampMilliseconds
    }
}

/// What a module call may touch: the state (through typed maps), the block environment, the
/// chain's spec, and an event sink.
///
/// A module may write only into the namespace of a registered module; a write anywhere else is
/// a bug and stops the process rather than corrupting the state.
public struct CallContext: Sendable {
    public let environment: BlockEnvironment
    public let spec: ChainSpec
    /// The chain's identity (the hash of `spec`), for signatures checked inside calls.
    public let chainID: Hash256
    public let catalog: ModuleCatalog
    var state: StateStore
    var events: [Event] = []
    /// Modules active at this height and their logic versions; only their namespaces (and the
    /// system's) may be written. Read from the registry at the start of each block.
    public private(set) var activeVersions: [ModuleID: UInt32] = [:]

    init(environment: BlockEnvironment, spec: ChainSpec, chainID: Hash256, catalog: ModuleCatalog) {
        self.environment = environment
        self.spec = spec
        self.chainID = chainID
        self.catalog = catalog
        state = StateStore()
    }

    /// Re-reads the active modules from the registry (at block start, after activations).
    mutating func refreshActiveModules() {
        activeVersions = Registry.activeModules(in: self)
    }

    /// Genesis registers modules from the spec before the registry has any entry.
    mutating func activateForGenesis(_ modules: [ChainSpec.ModuleVersion]) {
        for module in modules { activeVersions[module.module] = module.version }
    }

    public var height: UInt64 { environment.height }

    /// The value stored under `key`, or `nil`.
    public func get<Key, Value>(_ map: StorageMap<Key, Value>, _ key: Key) -> Value? {
        guard let bytes = state.read(map.stateKey(key)) else { return nil }
        do {
            return try Value(canonicalBytes: bytes)
        } catch {
            preconditionFailure("state entry \(Hex.encode(map.stateKey(key).bytes)) does not decode: \(error)")
        }
    }

    /// Stores `value` under `key`; `nil` removes the entry.
    public mutating func set<Key, Value>(_ map: StorageMap<Key, Value>, _ key: Key, _ value: Value?) {
        precondition(map.module == .system || activeVersions[map.module] != nil, "write to unregistered module \(map.module)'s namespace")
        state.write(map.stateKey(key), value?.canonicalBytes)
    }

    /// Every entry of a map, in key order (for invariants and queries; cost grows with the state).
    public func entries<Key: CanonicalDecodable, Value>(_ map: StorageMap<Key, Value>) -> [(Key, Value)] {
        let prefix = StateKey(module: map.module, map: map.map, key: []).bytes
        return state.sortedEntries().compactMap { entry -> (Key, Value)? in
            guard entry.key.bytes.starts(with: prefix) else { return nil }
            guard let key = try? Key(canonicalBytes: Array(entry.key.bytes.dropFirst(prefix.count))),
                  let value = try? Value(canonicalBytes: entry.value) else {
                preconditionFailure("state entry \(Hex.encode(entry.key.bytes)) does not decode")
            }
            return (key, value)
        }
    }

    public mutating func emit<E: ModuleEvent>(_ event: E) { events.append(event.event) }
}
