import Dispatch

/// Coordinate-wise work split into fixed chunks that run on all cores.
///
/// Chunk boundaries depend only on the count and the chunk length, never on the number of
/// threads, and each chunk computes and writes only its own coordinates: the result is the same
/// bits whichever core ran which chunk, and whether one core or many did.
enum Chunked {
    /// Coordinates per chunk for coordinate-wise sorts (median, trimmed mean): a chunk copies
    /// every update's slice into one block (100 updates × 256 floats = 100 KiB), so the columns
    /// are gathered from cache rather than from 100 scattered places in memory.
    static let columnChunkLength = 256

    /// Runs `body` on each chunk of `0..<count`, concurrently when there is more than one chunk.
    static func forEachChunk(count: Int, chunkLength: Int, _ body: @Sendable (Range<Int>) -> Void) {
        precondition(count >= 0 && chunkLength > 0)
        let chunkCount = (count + chunkLength - 1) / chunkLength
        guard chunkCount > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let start = chunk * chunkLength
            body(start..<min(start + chunkLength, count))
        }
    }

    /// A new array of `count` floats; `fill` writes each chunk (all of it) into its part.
    static func floats(count: Int, chunkLength: Int,
                       _ fill: @Sendable (_ range: Range<Int>, _ chunk: UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            let shared = SharedBuffer(buffer: buffer)
            forEachChunk(count: count, chunkLength: chunkLength) { range in
                fill(range, UnsafeMutableBufferPointer(rebasing: shared.buffer[range]))
            }
            initializedCount = count
        }
    }

    /// Each coordinate's values, one per vector in vector order, reduced to one value.
    ///
    /// `reduce` gets a scratch column it may reorder (sort) freely.
    static func columns(_ vectors: [[Float]], chunkLength: Int = Chunked.columnChunkLength,
                        _ reduce: @Sendable (UnsafeMutableBufferPointer<Float>) -> Float) -> [Float] {
        precondition(!vectors.isEmpty)
        let rows = vectors.count
        return floats(count: vectors[0].count, chunkLength: chunkLength) { range, out in
            let width = range.count
            let block = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows * width)
            defer { block.deallocate() }
            let column = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows)
            defer { column.deallocate() }
            for row in 0..<rows {
                vectors[row].withUnsafeBufferPointer { values in
                    for offset in 0..<width { block[row * width + offset] = values[range.lowerBound + offset] }
                }
            }
            for offset in 0..<width {
                for row in 0..<rows { column[row] = block[row * width + offset] }
                out[offset] = reduce(column)
            }
        }
    }

    /// An output buffer shared by chunk workers. Unchecked because the compiler cannot see what
    /// makes it safe: each worker writes only its own disjoint range, and the owner reads the
    /// buffer only after `concurrentPerform` has returned, that is after every worker finished.
    struct SharedBuffer<Element>: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<Element>
    }
}
