/// A quantity of the native token, DML, in integer base units (1 DML = 10⁹ base units).
///
/// Arithmetic is checked: an overflow or underflow returns `nil` (or throws), never traps and
/// never wraps, so a hostile amount becomes a rejection instead of a crash or a free mint.
public struct Amount: Hashable, Comparable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// Base units per whole DML.
    public static let baseUnitsPerToken: UInt64 = 1_000_000_000
    public static let decimals = 9
    public static let zero = Amount(baseUnits: 0)
    public static let max = Amount(baseUnits: .max)

    public let baseUnits: UInt64

    public init(baseUnits: UInt64) { self.baseUnits = baseUnits }

    /// Whole tokens; `nil` if the result does not fit.
    public static func tokens(_ whole: UInt64) -> Amount? {
        let (product, overflow) = whole.multipliedReportingOverflow(by: baseUnitsPerToken)
        return overflow ? nil : Amount(baseUnits: product)
    }

    public var isZero: Bool { baseUnits == 0 }

    /// `self + other`, or `nil` on overflow.
    public func adding(_ other: Amount) -> Amount? {
        let (sum, overflow) = baseUnits.addingReportingOverflow(other.baseUnits)
        return overflow ? nil : Amount(baseUnits: sum)
    }

    /// `self - other`, or `nil` if `other` is larger.
    public func subtracting(_ other: Amount) -> Amount? {
        let (difference, overflow) = baseUnits.subtractingReportingOverflow(other.baseUnits)
        return overflow ? nil : Amount(baseUnits: difference)
    }

    /// `self × factor`, or `nil` on overflow.
    public func multiplied(by factor: UInt64) -> Amount? {
        let (product, overflow) = baseUnits.multipliedReportingOverflow(by: factor)
        return overflow ? nil : Amount(baseUnits: product)
    }

    /// The sum of `amounts`, or `nil` if it overflows.
    public static func sum<Amounts: Sequence<Amount>>(_ amounts: Amounts) -> Amount? {
        var total = Amount.zero
        for amount in amounts {
            guard let next = total.adding(amount) else { return nil }
            total = next
        }
        return total
    }

    public static func < (lhs: Amount, rhs: Amount) -> Bool { lhs.baseUnits < rhs.baseUnits }

    /// Decimal DML with trailing zeros trimmed: `1.5 DML`, `0.000000001 DML`.
    public var description: String { "\(decimalString) DML" }

    /// The amount in whole DML as a decimal string, without unit.
    public var decimalString: String {
        let whole = baseUnits / Self.baseUnitsPerToken
        let fraction = baseUnits % Self.baseUnitsPerToken
        guard fraction > 0 else { return "\(whole)" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: Self.decimals - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    /// Parses a decimal DML amount such as `12`, `0.5` or `1.000000001`; `nil` if malformed,
    /// negative, more precise than a base unit, or too large.
    public init?(decimal text: String) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholeText = parts.first, !wholeText.isEmpty, wholeText.allSatisfy(\.isASCIIDigit),
              let whole = UInt64(wholeText) else { return nil }
        var fraction: UInt64 = 0
        if parts.count == 2 {
            let fractionText = parts[1]
            guard !fractionText.isEmpty, fractionText.count <= Self.decimals,
                  fractionText.allSatisfy(\.isASCIIDigit) else { return nil }
            let padded = fractionText + String(repeating: "0", count: Self.decimals - fractionText.count)
            guard let value = UInt64(padded) else { return nil }
            fraction = value
        }
        guard let wholeUnits = Amount.tokens(whole), let total = wholeUnits.adding(Amount(baseUnits: fraction)) else {
            return nil
        }
        self = total
    }

    public func encode(to writer: inout ByteWriter) { writer.write(baseUnits) }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        baseUnits = try reader.readUInt64("amount")
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
