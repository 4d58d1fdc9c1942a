import DMLCore
import Foundation

/// LtHash16 (Bellare–Micciancio; Lewi et al. 2019, "Securing Update Propagation with
/// Homomorphic Hashing"): a hash of a *set* that can be updated in place.
///
/// Each state entry is expanded to 1024 lanes of 16 bits; the set's hash is their lane-wise sum
/// modulo 2¹⁶. Adding or removing an entry costs one expansion, whatever the size of the set,
/// so the state root's cost per block grows with the block's writes, not with the whole state.
/// The root published in block headers is SHA-256 of the 2048-byte sum.
public struct LatticeHash: Hashable, Sendable {
    public static let laneCount = 1024

    private var lanes: [UInt16]

    public init() { lanes = [UInt16](repeating: 0, count: Self.laneCount) }

    /// The root: SHA-256 of the lanes as 2048 little-endian bytes.
    public var root: Hash256 {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.laneCount * 2)
        for lane in lanes {
            bytes.append(UInt8(truncatingIfNeeded: lane))
            bytes.append(UInt8(truncatingIfNeeded: lane >> 8))
        }
        return Hash256.of(bytes)
    }

    public mutating func insert(key: [UInt8], value: [UInt8]) {
        combine(Self.element(key: key, value: value), subtracting: false)
    }

    public mutating func remove(key: [UInt8], value: [UInt8]) {
        combine(Self.element(key: key, value: value), subtracting: true)
    }

    /// The entry's digest, SHA-256(u32 key length ‖ key ‖ value), expanded by ChaCha20 (zero
    /// nonce, counter from 0) to 2048 bytes, read as 1024 little-endian u16 lanes.
    static func element(key: [UInt8], value: [UInt8]) -> Data {
        var writer = ByteWriter(capacity: 4 + key.count + value.count)
        writer.writeVariable(key)
        writer.writeFixed(value)
        return ChaCha20.keystream(key: Hash256.of(writer.bytes).bytes)
    }

    /// Adds (or subtracts) an expanded element lane by lane, modulo 2¹⁶.
    private mutating func combine(_ element: Data, subtracting: Bool) {
        precondition(element.count == 2 * Self.laneCount)
        element.withUnsafeBytes { raw in
            lanes.withUnsafeMutableBufferPointer { lanes in
                for index in 0..<Self.laneCount {
                    let lane = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
                    if subtracting { lanes[index] &-= lane } else { lanes[index] &+= lane }
                }
            }
        }
    }
}
