/// Matrix products for rank-2 tensors, written so the innermost loop walks contiguous memory
/// with independent iterations: the compiler turns it into SIMD instructions (AVX on x86-64,
/// NEON on arm64) without hand-written intrinsics, which keeps the code portable and readable.
extension Tensor {
    /// `self · other`: (m×k)·(k×n) → m×n.
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(columns == other.rows, "matmul: \(shape) · \(other.shape)")
        var out = [Float](repeating: 0, count: rows * other.columns)
        LinearAlgebra.multiply(storage, other.storage, into: &out, m: rows, k: columns, n: other.columns)
        return Tensor(shape: [rows, other.columns], storage: out)
    }

    /// `selfᵀ · other`: (k×m)ᵀ·(k×n) → m×n — a weight gradient from activations and errors.
    public func transposedMatmul(_ other: Tensor) -> Tensor {
        precondition(rows == other.rows, "transposedMatmul: \(shape)ᵀ · \(other.shape)")
        var out = [Float](repeating: 0, count: columns * other.columns)
        LinearAlgebra.multiplyTransposedA(storage, other.storage, into: &out,
                                          k: rows, m: columns, n: other.columns)
        return Tensor(shape: [columns, other.columns], storage: out)
    }

    /// `self · otherᵀ`: (m×k)·(n×k)ᵀ → m×n — errors sent back through a layer's weights.
    public func matmulTransposed(_ other: Tensor) -> Tensor {
        precondition(columns == other.columns, "matmulTransposed: \(shape) · \(other.shape)ᵀ")
        var out = [Float](repeating: 0, count: rows * other.rows)
        LinearAlgebra.multiplyTransposedB(storage, other.storage, into: &out,
                                          m: rows, k: columns, n: other.rows)
        return Tensor(shape: [rows, other.rows], storage: out)
    }
}

/// The raw loops behind `Tensor`'s products, on flat row-major arrays.
enum LinearAlgebra {
    /// out[m×n] = a[m×k] · b[k×n]; the i-p-j order keeps the inner loop over a row of `b`.
    static func multiply(_ a: [Float], _ b: [Float], into out: inout [Float], m: Int, k: Int, n: Int) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    for i in 0..<m {
                        let cRow = c.baseAddress! + i * n
                        for p in 0..<k {
                            let scale = a[i * k + p]
                            if scale == 0 { continue }  // pixels and ReLU outputs are often zero
                            let bRow = b.baseAddress! + p * n
                            for j in 0..<n { cRow[j] += scale * bRow[j] }
                        }
                    }
                }
            }
        }
    }

    /// out[m×n] = a[k×m]ᵀ · b[k×n]: accumulates one outer product per shared row.
    static func multiplyTransposedA(_ a: [Float], _ b: [Float], into out: inout [Float], k: Int, m: Int, n: Int) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    for p in 0..<k {
                        let bRow = b.baseAddress! + p * n
                        for i in 0..<m {
                            let scale = a[p * m + i]
                            if scale == 0 { continue }
                            let cRow = c.baseAddress! + i * n
                            for j in 0..<n { cRow[j] += scale * bRow[j] }
                        }
                    }
                }
            }
        }
    }

    /// out[m×n] = a[m×k] · b[n×k]ᵀ: dot products of rows, summed in four lanes.
    static func multiplyTransposedB(_ a: [Float], _ b: [Float], into out: inout [Float], m: Int, k: Int, n: Int) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    for i in 0..<m {
                        let aRow = a.baseAddress! + i * k
                        for j in 0..<n {
                            c[i * n + j] = dot(aRow, b.baseAddress! + j * k, count: k)
                        }
                    }
                }
            }
        }
    }

    /// The dot product of two contiguous runs, in SIMD8 lanes then a scalar tail.
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var index = 0
        while index + 8 <= count {
            let xs = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD8<Float>.self)
            let ys = UnsafeRawPointer(y + index).loadUnaligned(as: SIMD8<Float>.self)
            lanes += xs * ys
            index += 8
        }
        var total = lanes.sum()
        while index < count { total += x[index] * y[index]; index += 1 }
        return total
    }
}
