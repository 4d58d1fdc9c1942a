import Foundation

/// Why a privacy computation was refused: the inputs a caller (a job specification, a
/// command-line flag) got wrong, each case carrying the offending value.
public enum PrivacyAccountingError: Error, Equatable, Sendable {
    /// The sampling rate q is outside [0, 1] or NaN; or it is 0 where noise must be calibrated
    /// (no sampling needs no noise, so there is no smallest noise multiplier).
    case samplingRateOutOfRange(Double)
    /// The noise multiplier (noise standard deviation / clip bound) is not a finite number > 0.
    case noiseMultiplierNotPositive(Double)
    /// Delta is outside the open interval (0, 1).
    case deltaOutOfRange(Double)
    /// A target epsilon is not a finite number > 0.
    case epsilonNotPositive(Double)
    /// The step count is negative; or it is 0 where noise must be calibrated.
    case stepsOutOfRange(Int)
    /// A custom Rényi order is not finite, not above 1, or above `RDPAccountant.orderMax`.
    case orderInvalid(Double)
    /// A custom order list is empty or longer than `RDPAccountant.ordersCountMax`.
    case orderCountInvalid(Int)
    /// A clip bound is not a finite number > 0.
    case clipBoundNotPositive(Double)
    /// The guarantee is infinite at every order: the noise is too small to state anything.
    case noFiniteEpsilon(noiseMultiplier: Double)
    /// Even `RDPAccountant.noiseMultiplierMax` does not reach the target epsilon.
    case epsilonUnreachable(target: Double, noiseMultiplierMax: Double)
}

/// Rényi differential privacy (RDP) of repeated Poisson-subsampled Gaussian steps, converted to
/// an (epsilon, delta) guarantee.
///
/// Why RDP: composing T steps is adding their RDP values at each order alpha, so a long
/// training run is tracked exactly per order, and the conversion to (epsilon, delta) is done
/// once at the end, choosing the best order. The mechanism is the one DP-SGD and DP-FedAvg use:
/// each record (or device) is included independently with probability q, contributions are
/// clipped to L2 norm C, and N(0, (sigma C)^2) noise is added to their sum.
///
/// The RDP of one step is log(A_alpha) / (alpha - 1) (Mironov, Talwar, Zhang 2019, "Rényi
/// Differential Privacy of the Sampled Gaussian Mechanism", arXiv:1908.10530), with
/// - integer alpha: A_alpha = sum_{i=0..alpha} C(alpha, i) (1-q)^(alpha-i) q^i exp((i^2 - i) / (2 sigma^2)),
///   summed in log space;
/// - fractional alpha: the two-sided series of section 3.3 with erfc tails, summed until both
///   halves decrease and are 30 nats below the total (at most 1000 terms, else the order is
///   dropped as infinite, as dp-accounting does);
/// - q = 1: alpha / (2 sigma^2) (the plain Gaussian mechanism); q = 0: 0.
///
/// This is the arithmetic of Google's `dp-accounting` `RdpAccountant` (which TensorFlow Privacy
/// uses), and the tests reproduce its numbers; `scripts/reference/rdp_reference.py` prints them.
/// The neighbouring relation is add-or-remove-one record (or device).
public struct RDPAccountant: Sendable, Equatable {
    /// The name stated in a `PrivacyGuarantee`.
    public static let name = "rdp-subsampled-gaussian"

    /// TensorFlow Privacy's `compute_dp_sgd_privacy` orders: 1.25 to 4.5 in quarter and half
    /// steps (small orders win when epsilon is large), every integer 5 to 63 (the usual
    /// optimum for epsilon between 0.1 and 10), then 128, 256 and 512 (tiny epsilons, very
    /// small q). Using exactly this list is what lets the tests match TF Privacy's published
    /// values digit for digit.
    public static let defaultOrders: [Double] = {
        let fractional: [Double] = [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5]
        let integers: [Double] = (5...63).map { Double($0) }
        let large: [Double] = [128, 256, 512]
        return fractional + integers + large
    }()

    /// The largest order accepted: an integer order costs alpha + 1 terms per step type.
    public static let orderMax: Double = 1024
    /// The most orders one accountant tracks.
    public static let ordersCountMax = 256

    /// The Rényi orders alpha tracked, in the caller's order (ties in `epsilon` go to the first).
    public let orders: [Double]
    /// The accumulated RDP at each order, parallel to `orders`; `+infinity` where a series did
    /// not converge or the noise is too small for that order.
    public private(set) var rdp: [Double]

    /// An accountant with nothing composed yet, over `defaultOrders`.
    public init() {
        orders = Self.defaultOrders
        rdp = Array(repeating: 0, count: orders.count)
    }

    /// An accountant over custom orders (each finite, > 1, <= `orderMax`).
    ///
    /// - Throws: `.orderCountInvalid`, `.orderInvalid` (in this order).
    public init(orders: [Double]) throws(PrivacyAccountingError) {
        guard (1...Self.ordersCountMax).contains(orders.count) else {
            throw .orderCountInvalid(orders.count)
        }
        for order in orders where !(order.isFinite && order > 1 && order <= Self.orderMax) {
            throw .orderInvalid(order)
        }
        self.orders = orders
        rdp = Array(repeating: 0, count: orders.count)
    }

    /// Adds `steps` Poisson-subsampled Gaussian steps (sampling rate `samplingRate`, noise
    /// standard deviation `noiseMultiplier` times the clip bound). Zero steps change nothing.
    ///
    /// - Throws: `.samplingRateOutOfRange`, `.noiseMultiplierNotPositive`, `.stepsOutOfRange`
    ///   (in this order); a rejected call leaves the accountant unchanged.
    public mutating func compose(noiseMultiplier: Double, samplingRate: Double, steps: Int = 1) throws(PrivacyAccountingError) {
        try Self.check(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate)
        guard steps >= 0 else { throw .stepsOutOfRange(steps) }
        add(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: steps)
    }

    /// `compose` for inputs already checked.
    mutating func add(noiseMultiplier: Double, samplingRate: Double, steps: Int) {
        guard steps > 0 else { return }  // (0 times an infinite order would be NaN)
        for index in orders.indices {
            let perStep = Self.rdp(order: orders[index], noiseMultiplier: noiseMultiplier, samplingRate: samplingRate)
            rdp[index] += Double(steps) * perStep
        }
    }

    /// The smallest epsilon such that everything composed so far is (epsilon, delta)-DP, and
    /// the order that gives it.
    ///
    /// Uses the conversion of Balle et al. 2020 ("Hypothesis testing interpretations and Rényi
    /// differential privacy", Prop. 12; also Canonne, Kamath, Steinke 2020, eq. 20), as
    /// dp-accounting does: eps = rdp + log1p(-1/alpha) - (log(delta) + log(alpha)) / (alpha - 1),
    /// taken as 0 where rdp < -log(1 - delta^2) (the KL bound delta >= sqrt(1 - exp(-rdp))
    /// already gives (0, delta)), minimised over the orders and clamped at 0. It is smaller
    /// than Mironov's original rdp - log(delta) / (alpha - 1) by roughly log(alpha) / (alpha - 1).
    ///
    /// - Throws: `.deltaOutOfRange`.
    public func epsilon(delta: Double) throws(PrivacyAccountingError) -> (epsilon: Double, order: Double) {
        guard delta > 0 && delta < 1 else { throw .deltaOutOfRange(delta) }
        return Self.bestEpsilon(orders: orders, rdp: rdp, delta: delta)
    }

    /// Mironov 2017 (arXiv:1702.07476, Prop. 3): min over orders of rdp - log(delta) / (alpha - 1).
    /// Not used for guarantees; kept so the tests can reproduce numbers published before 2020
    /// (TF Privacy's MNIST tutorial), which used it. `delta` must be in (0, 1).
    func epsilonClassic(delta: Double) -> Double {
        var best = Double.infinity
        for (order, value) in zip(orders, rdp) {
            best = min(best, value - log(delta) / (order - 1))
        }
        return max(0, best)
    }

    static func check(noiseMultiplier: Double, samplingRate: Double) throws(PrivacyAccountingError) {
        guard samplingRate >= 0 && samplingRate <= 1 else { throw .samplingRateOutOfRange(samplingRate) }
        guard noiseMultiplier.isFinite && noiseMultiplier > 0 else {
            throw .noiseMultiplierNotPositive(noiseMultiplier)
        }
    }

    /// The improved conversion at each order, and its minimum (see `epsilon(delta:)`).
    static func bestEpsilon(orders: [Double], rdp: [Double], delta: Double) -> (epsilon: Double, order: Double) {
        var best = (epsilon: Double.infinity, order: orders[0])
        for (order, value) in zip(orders, rdp) {
            let candidate: Double
            if value < 0 {
                candidate = 0  // rounding noise around a true 0, as dp-accounting treats it
            } else if delta * delta + expm1(-value) > 0 {
                candidate = 0
            } else if order > 1.01 {
                candidate = value + log1p(-1 / order) - log(delta * order) / (order - 1)
            } else {
                candidate = .infinity  // the bound is numerically unstable as alpha -> 1
            }
            if candidate < best.epsilon { best = (candidate, order) }
        }
        return (max(0, best.epsilon), best.order)
    }
}

// MARK: - Calibrating the noise

extension RDPAccountant {
    /// The smallest noise multiplier `noiseMultiplier(forEpsilon:...)` returns.
    public static let noiseMultiplierMin: Double = 1e-3
    /// The largest noise multiplier `noiseMultiplier(forEpsilon:...)` tries before giving up.
    public static let noiseMultiplierMax: Double = 1e6
    /// Bisection stops when the bracket is this narrow, relative to its upper end.
    static let bisectionToleranceRelative: Double = 1e-6
    /// A bound on bisection steps (about 20 are needed from a bracket [s, 2s]).
    static let bisectionStepsMax = 100

    /// The smallest noise multiplier sigma such that `steps` steps at `samplingRate` are
    /// (epsilon, delta)-DP with epsilon <= `target`, to a relative 1e-6.
    ///
    /// Epsilon falls as sigma grows, so this doubles or halves from sigma = 1 to bracket the
    /// target, then bisects; it returns the bracket's upper end, which always meets the target
    /// (and sigma * (1 - 1e-6) does not, unless the answer is `noiseMultiplierMin`). Used to set
    /// a job's noise from the budget its owner states.
    ///
    /// - Throws: `.epsilonNotPositive`, `.deltaOutOfRange`, `.samplingRateOutOfRange` (also for
    ///   0), `.stepsOutOfRange` (also for 0), `.orderCountInvalid`, `.orderInvalid`,
    ///   `.epsilonUnreachable` (in this order).
    public static func noiseMultiplier(
        forEpsilon target: Double, delta: Double, samplingRate: Double, steps: Int,
        orders: [Double] = RDPAccountant.defaultOrders
    ) throws(PrivacyAccountingError) -> Double {
        guard target.isFinite && target > 0 else { throw .epsilonNotPositive(target) }
        guard delta > 0 && delta < 1 else { throw .deltaOutOfRange(delta) }
        guard samplingRate > 0 && samplingRate <= 1 else { throw .samplingRateOutOfRange(samplingRate) }
        guard steps > 0 else { throw .stepsOutOfRange(steps) }
        let empty = try RDPAccountant(orders: orders)
        func meetsTarget(_ sigma: Double) -> Bool {
            var accountant = empty
            accountant.add(noiseMultiplier: sigma, samplingRate: samplingRate, steps: steps)
            return Self.bestEpsilon(orders: accountant.orders, rdp: accountant.rdp, delta: delta).epsilon <= target
        }
        // Bracket: `high` meets the target, `low` does not.
        var low = 1.0
        var high = 1.0
        if meetsTarget(high) {
            repeat {
                high = low
                if high <= Self.noiseMultiplierMin { return high }
                low = max(high / 2, Self.noiseMultiplierMin)
            } while meetsTarget(low)
        } else {
            repeat {
                low = high
                guard low < Self.noiseMultiplierMax else {
                    throw .epsilonUnreachable(target: target, noiseMultiplierMax: Self.noiseMultiplierMax)
                }
                high = min(low * 2, Self.noiseMultiplierMax)
            } while !meetsTarget(high)
        }
        var stepsLeft = Self.bisectionStepsMax
        while high - low > high * Self.bisectionToleranceRelative && stepsLeft > 0 {
            stepsLeft -= 1
            let middle = (low + high) / 2
            if meetsTarget(middle) { high = middle } else { low = middle }
        }
        return high
    }
}

// MARK: - One step of the sampled Gaussian mechanism

extension RDPAccountant {
    /// Terms summed for a fractional order before the order is dropped (dp-accounting's limit).
    static let fractionalTermsMax = 1000

    /// The RDP of one step at `order` (> 1); q in [0, 1] and sigma > 0 already checked.
    static func rdp(order: Double, noiseMultiplier sigma: Double, samplingRate q: Double) -> Double {
        if q == 0 { return 0 }
        if q == 1 { return order / (2 * sigma * sigma) }
        let logA = order.rounded() == order
            ? logAInteger(order: Int(order), noiseMultiplier: sigma, samplingRate: q)
            : logAFractional(order: order, noiseMultiplier: sigma, samplingRate: q)
        return logA / (order - 1)
    }

    /// log A_alpha for an integer order and 0 < q < 1: the binomial expansion
    /// sum_i C(alpha, i) q^i (1 - q)^(alpha - i) exp((i^2 - i) / (2 sigma^2)), in log space so
    /// that neither the tiny q^i nor the huge exponentials overflow.
    static func logAInteger(order alpha: Int, noiseMultiplier sigma: Double, samplingRate q: Double) -> Double {
        let logQ = log(q)
        let log1MinusQ = log1p(-q)
        let twoSigmaSquared = 2 * sigma * sigma
        var logA = -Double.infinity
        // log C(alpha, i), built by C(alpha, i) = C(alpha, i - 1) (alpha - i + 1) / i: exact
        // enough, and no lgamma (whose C version writes a global).
        var logBinomial = 0.0
        for i in 0...alpha {
            let x = Double(i)
            if i > 0 { logBinomial += log(Double(alpha - i + 1)) - log(x) }
            let term = logBinomial + x * logQ + Double(alpha - i) * log1MinusQ + (x * x - x) / twoSigmaSquared
            logA = logAdd(logA, term)
        }
        return logA
    }

    /// log A_alpha for a fractional order and 0 < q < 1: the series of Mironov, Talwar, Zhang
    /// 2019 section 3.3, split at z0 = sigma^2 log(1/q - 1) + 1/2 into two halves whose terms
    /// carry Gaussian tails erfc(...). Uses |C(alpha, i)|, as dp-accounting does. Returns
    /// +infinity if `fractionalTermsMax` terms do not converge (the order then drops out).
    static func logAFractional(order alpha: Double, noiseMultiplier sigma: Double, samplingRate q: Double) -> Double {
        let logQ = log(q)
        let log1MinusQ = log1p(-q)
        let twoSigmaSquared = 2 * sigma * sigma
        let z0 = sigma * sigma * log(1 / q - 1) + 0.5
        let tailScale = 2.0.squareRoot() * sigma
        var logA0 = -Double.infinity
        var logA1 = -Double.infinity
        var lastS0 = -Double.infinity
        var lastS1 = -Double.infinity
        var logBinomial = 0.0  // log |C(alpha, i)|
        for i in 0..<fractionalTermsMax {
            let x = Double(i)
            if i > 0 { logBinomial += log(abs(alpha - x + 1)) - log(x) }
            let j: Double = alpha - x
            let logT0 = logBinomial + x * logQ + j * log1MinusQ
            let logT1 = logBinomial + j * logQ + x * log1MinusQ
            let logE0 = log(0.5) + logErfc((x - z0) / tailScale)
            let logE1 = log(0.5) + logErfc((z0 - j) / tailScale)
            let s0 = logT0 + (x * x - x) / twoSigmaSquared + logE0
            let s1 = logT1 + (j * j - j) / twoSigmaSquared + logE1
            logA0 = logAdd(logA0, s0)
            logA1 = logAdd(logA1, s1)
            let total = logAdd(logA0, logA1)
            // Stop once both halves shrink and their latest terms are 30 nats below the total.
            if s0 < lastS0 && s1 < lastS1 && max(s0, s1) < total - 30 { return total }
            lastS0 = s0
            lastS1 = s1
        }
        return .infinity
    }

    /// log(exp(x) + exp(y)) without overflow or underflow (x, y may be -infinity).
    static func logAdd(_ x: Double, _ y: Double) -> Double {
        let (smaller, larger) = x < y ? (x, y) : (y, x)
        if smaller == -.infinity || larger == .infinity { return larger }
        return log1p(exp(smaller - larger)) + larger
    }

    /// log(erfc(x)), accurate far into the tail: where erfc(x) would underflow (x > 26.5) it
    /// uses the asymptotic expansion erfc(x) ~ exp(-x^2 - 1/(2x^2) + 5/(8x^4) - ...) / (x sqrt(pi)),
    /// whose next term is below 1e-13 there.
    static func logErfc(_ x: Double) -> Double {
        let value = erfc(x)
        if value >= Double.leastNormalMagnitude { return log(value) }
        let u = 1 / (x * x)
        let series: Double = u * (-0.5 + u * (0.625 + u * (-37.0 / 24.0 + u * (353.0 / 64.0))))
        let leading: Double = -0.5 * log(Double.pi) - log(x) - x * x
        return leading + series
    }
}
