/// A dense Float32 tensor: a shape and its elements in one contiguous row-major array.
///
/// Learning here needs rank 1 (vectors) and rank 2 (a batch of examples, a weight matrix), so
/// the linear algebra in `Tensor+LinearAlgebra.swift` is written for those ranks; the storage
/// is a plain `[Float]` so that a model's parameters can be handed around as one flat vector.
public struct Tensor: Sendable, Equatable {
    /// The size of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `count == shape.reduce(1, *)`.
    public var storage: [Float]

    /// A tensor over existing elements.
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == storage.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of the given shape filled with one value.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, storage: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A matrix from its rows (all of equal length).
    public init(rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "ragged rows")
        self.init(shape: [rows.count, columns], storage: rows.flatMap { $0 })
    }

    /// The number of rows of a rank-2 tensor.
    public var rows: Int { precondition(shape.count == 2); return shape[0] }
    /// The number of columns of a rank-2 tensor.
    public var columns: Int { precondition(shape.count == 2); return shape[1] }

    /// The element at (row, column) of a rank-2 tensor.
    public subscript(row: Int, column: Int) -> Float {
        get { storage[row * shape[1] + column] }
        set { storage[row * shape[1] + column] = newValue }
    }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    /// The rows at the given indices, in that order (a mini-batch).
    public func gatherRows(_ indices: some Collection<Int>) -> Tensor {
        let width = columns
        var out = [Float](repeating: 0, count: indices.count * width)
        out.withUnsafeMutableBufferPointer { dst in
            storage.withUnsafeBufferPointer { src in
                var offset = 0
                for index in indices {
                    precondition(index >= 0 && index < rows, "row \(index) out of 0..<\(rows)")
                    for j in 0..<width { dst[offset + j] = src[index * width + j] }
                    offset += width
                }
            }
        }
        return Tensor(shape: [indices.count, width], storage: out)
    }
}
