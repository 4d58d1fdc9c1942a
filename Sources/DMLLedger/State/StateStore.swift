import DMLCore

/// Every entry of the ledger's state, with the lattice hash that commits to them.
///
/// Writes go to the current transaction's overlay first; `commitTransaction` folds them into
/// the entries and `discardTransaction` drops them, which is how a rejected call changes
/// nothing. `sealBlock` brings the lattice hash up to date using only the keys the block
/// changed (each compared with its value at the start of the block).
public struct StateStore: Sendable {
    public private(set) var entries: [StateKey: [UInt8]] = [:]
    private var lattice = LatticeHash()
    /// The current transaction's writes; `nil` deletes.
    private var overlay: [StateKey: [UInt8]?] = [:]
    /// For each key changed in the current block, its value when the block began.
    private var blockOriginals: [StateKey: [UInt8]?] = [:]

    public init() {}

    /// Rebuilds a store from a snapshot's entries, recomputing the lattice hash.
    public init(entries: [StateKey: [UInt8]]) {
        self.entries = entries
        for (key, value) in entries { lattice.insert(key: key.bytes, value: value) }
    }

    public func read(_ key: StateKey) -> [UInt8]? {
        if let pending = overlay[key] { return pending }
        return entries[key]
    }

    public mutating func write(_ key: StateKey, _ value: [UInt8]?) { overlay[key] = value }

    public mutating func commitTransaction() {
        for (key, value) in overlay {
            if blockOriginals[key] == nil { blockOriginals[key] = .some(entries[key]) }
            entries[key] = value
        }
        overlay.removeAll(keepingCapacity: true)
    }

    public mutating func discardTransaction() { overlay.removeAll(keepingCapacity: true) }

    /// Updates the lattice hash for the block's changes and returns the state root, with what
    /// it takes to undo the block.
    public mutating func sealBlock() -> (root: Hash256, undo: BlockUndo) {
        precondition(overlay.isEmpty, "a transaction was left open at the end of a block")
        var changes: [(key: StateKey, original: [UInt8]?)] = []
        changes.reserveCapacity(blockOriginals.count)
        for (key, original) in blockOriginals {
            let current = entries[key]
            guard current != original else { continue }
            if let original { lattice.remove(key: key.bytes, value: original) }
            if let current { lattice.insert(key: key.bytes, value: current) }
            changes.append((key, original))
        }
        blockOriginals.removeAll(keepingCapacity: true)
        return (lattice.root, BlockUndo(changes: changes))
    }

    /// Restores the state to what it was before the sealed block that `undo` came from.
    public mutating func undo(_ undo: BlockUndo) {
        precondition(overlay.isEmpty && blockOriginals.isEmpty, "undo in the middle of a block")
        for (key, original) in undo.changes {
            if let current = entries[key] { lattice.remove(key: key.bytes, value: current) }
            if let original { lattice.insert(key: key.bytes, value: original) }
            entries[key] = original
        }
    }

    /// The root as of the last sealed block.
    public var root: Hash256 { lattice.root }

    /// Entries in key order, for snapshots and for listing a module's map.
    public func sortedEntries() -> [(key: StateKey, value: [UInt8])] {
        entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

extension StateStore: Equatable {
    /// Two stores are equal when they hold the same sealed entries (overlays must be empty).
    public static func == (lhs: StateStore, rhs: StateStore) -> Bool {
        lhs.entries == rhs.entries && lhs.lattice == rhs.lattice
    }
}

/// The values a sealed block overwrote, so that it can be taken back (a replay that does not
/// match, a block whose durable commit failed).
public struct BlockUndo: Sendable {
    let changes: [(key: StateKey, original: [UInt8]?)]
    /// How many entries the block changed.
    public var changeCount: Int { changes.count }
}
