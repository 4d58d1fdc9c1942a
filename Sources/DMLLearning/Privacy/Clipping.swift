/// Why a vector could not be clipped.
public enum ClippingError: Error, Equatable, Sendable {
    /// The L2 bound is not a finite number > 0.
    case boundNotPositive(Double)
    /// The update and the global model have different lengths.
    case lengthMismatch(count: Int, expected: Int)
    /// A value is NaN or infinite, so its norm (and any clipped result) would be meaningless.
    case notFinite
}

/// L2 clipping: the step that bounds each contribution's sensitivity, so that Gaussian noise of
/// standard deviation (noise multiplier × bound) gives the guarantee `RDPAccountant` computes.
///
/// - Record-level DP (DP-SGD, Abadi et al. 2016) clips each example's gradient with
///   `clip(_:toL2Norm:)` before they are summed and noised.
/// - Device-level DP (DP-FedAvg, McMahan et al. 2018) clips what a device changes, the model
///   delta, with `clipUpdate(parameters:global:bound:)`: the parameters themselves can be far
///   from 0 without revealing anything.
///
/// Norms accumulate in Double, so a million Float coordinates lose no precision. A clipped
/// vector's norm equals the bound up to Float rounding (about 2^-24 relative).
public enum Clipping {
    /// The Euclidean norm sqrt(sum of squares), accumulated in Double (0 for an empty vector).
    public static func l2Norm(_ values: [Float]) -> Double {
        var sumOfSquares = 0.0
        for value in values {
            let x = Double(value)
            sumOfSquares += x * x
        }
        return sumOfSquares.squareRoot()
    }

    /// Scales `values` in place so that their L2 norm is at most `bound`, and returns the factor
    /// applied: min(1, bound / norm). A vector already within the bound is left bit for bit.
    ///
    /// - Throws: `.boundNotPositive`, `.notFinite` (in this order); `values` is then unchanged.
    @discardableResult
    public static func clip(_ values: inout [Float], toL2Norm bound: Double) throws(ClippingError) -> Double {
        guard bound.isFinite && bound > 0 else { throw .boundNotPositive(bound) }
        let norm = l2Norm(values)
        guard norm.isFinite else { throw .notFinite }
        guard norm > bound else { return 1 }
        let factor = bound / norm
        scale(&values, by: factor)
        return factor
    }

    /// The device's parameters with their change from `global` clipped to L2 norm `bound`:
    /// global + (parameters − global) · min(1, bound / ‖parameters − global‖). Returns
    /// `parameters` unchanged when the change is within the bound.
    ///
    /// - Throws: `.boundNotPositive`, `.lengthMismatch`, `.notFinite` (in this order).
    public static func clipUpdate(parameters: [Float], global: [Float], bound: Double) throws(ClippingError) -> [Float] {
        guard bound.isFinite && bound > 0 else { throw .boundNotPositive(bound) }
        guard parameters.count == global.count else {
            throw .lengthMismatch(count: parameters.count, expected: global.count)
        }
        guard parameters.allSatisfy(\.isFinite) && global.allSatisfy(\.isFinite) else { throw .notFinite }
        // Differences in Double: exact unless the two values are 2^29 or more apart in scale.
        var sumOfSquares = 0.0
        for index in parameters.indices {
            let delta = Double(parameters[index]) - Double(global[index])
            sumOfSquares += delta * delta
        }
        let norm = sumOfSquares.squareRoot()
        guard norm > bound else { return parameters }
        let factor = bound / norm
        var clipped = global
        for index in clipped.indices {
            let delta = Double(parameters[index]) - Double(global[index])
            clipped[index] = Float(Double(global[index]) + delta * factor)
        }
        return clipped
    }
}

extension Clipping {
    /// `clip(_:toL2Norm:)` for training loops whose bound a plan has already checked (finite,
    /// > 0; an unchecked bound is a bug). Returns the factor applied.
    ///
    /// A vector with NaN or infinity cannot be clipped. It is replaced by zeros and the factor
    /// is 0: a zero contribution is within any bound, so it cannot break the privacy guarantee
    /// or poison the sum.
    @discardableResult
    public static func clip(_ values: inout [Float], toNorm bound: Float) -> Double {
        precondition(bound.isFinite && bound > 0, "the clip bound \(bound) was not validated")
        let norm = l2Norm(values)
        guard norm.isFinite else {
            for index in values.indices { values[index] = 0 }
            return 0
        }
        guard norm > Double(bound) else { return 1 }
        let factor = Double(bound) / norm
        scale(&values, by: factor)
        return factor
    }

    /// Multiplies in Double and rounds each product once to Float.
    static func scale(_ values: inout [Float], by factor: Double) {
        for index in values.indices {
            values[index] = Float(Double(values[index]) * factor)
        }
    }
}
