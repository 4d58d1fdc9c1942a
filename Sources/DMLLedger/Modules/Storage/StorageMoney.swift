import DMLCore

/// A continuously accruing debt: `rate` USD units per month, taken up to some point.
///
/// After seed 004's `Schedule{rate, offset}`, with one change: the offset is kept in
/// USD-unit-milliseconds (scaled by the month) rather than in USD units, so starting a schedule
/// and taking value from it never round, and two schedules add exactly. The value due at time
/// `t` (ms) is `⌊(rate · t − offset) / msPerMonth⌋`.
public struct Schedule: Hashable, Sendable, CanonicalCodable {
    /// 31 days, as in seed 004.
    public static let millisecondsPerMonth: UInt64 = 31 * 24 * 3_600 * 1_000
    public static let empty = Schedule(rate: 0, offset: 0)

    /// USD units (10⁻⁹ USD) per month.
    public private(set) var rate: UInt64
    /// USD-unit-milliseconds already accounted for.
    public private(set) var offset: UInt128

    init(rate: UInt64, offset: UInt128) {
        self.rate = rate
        self.offset = offset
    }

    /// A schedule of `rate` that starts accruing at `start`.
    public init(rate: UInt64, startingAt start: UInt64) {
        self.rate = rate
        offset = UInt128(rate) * UInt128(start)
    }

    /// What has accrued and not been taken at `time`, in USD units. Time never runs backwards
    /// in the ledger, so the subtraction cannot underflow for a time at or after the last change.
    public func value(at time: UInt64) -> UInt128 {
        let accrued = UInt128(rate) * UInt128(time)
        precondition(accrued >= offset, "schedule read before its start")
        return (accrued - offset) / UInt128(Self.millisecondsPerMonth)
    }

    /// Marks `usd` (at most `value(at:)`) as taken.
    public mutating func take(_ usd: UInt128) {
        offset += usd * UInt128(Self.millisecondsPerMonth)
    }

    /// The sum of two schedules; `nil` if the rate overflows.
    public func adding(_ other: Schedule) -> Schedule? {
        let (rate, overflow) = rate.addingReportingOverflow(other.rate)
        guard !overflow else { return nil }
        return Schedule(rate: rate, offset: offset + other.offset)
    }

    /// This schedule without `other` (which was added to it earlier).
    public func subtracting(_ other: Schedule) -> Schedule {
        precondition(rate >= other.rate && offset >= other.offset, "removing a schedule that was never added")
        return Schedule(rate: rate - other.rate, offset: offset - other.offset)
    }

    /// The earliest time (ms) at which the accrued value reaches `usd`; `UInt64.max` if never.
    public func time(ofValue usd: UInt128) -> UInt64 {
        guard rate > 0 else { return .max }
        let (scaled, overflow) = usd.multipliedReportingOverflow(by: UInt128(Self.millisecondsPerMonth))
        guard !overflow else { return .max }
        let time = (scaled + offset) / UInt128(rate)
        return time > UInt128(UInt64.max) ? .max : UInt64(time)
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(rate)
        writer.write(UInt64(truncatingIfNeeded: offset))
        writer.write(UInt64(truncatingIfNeeded: offset >> 64))
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        rate = try reader.readUInt64("rate")
        let low = try reader.readUInt64("offset low")
        let high = try reader.readUInt64("offset high")
        offset = UInt128(high) << 64 | UInt128(low)
    }
}

/// USD units per whole DML: what rent (priced in USD) costs in tokens (seed 004's converter).
///
/// Both conversions round down, so the ledger never charges more tokens than the USD due and
/// never credits more USD than the tokens held.
public struct ExchangeRate: Hashable, Sendable, CanonicalCodable, CustomStringConvertible {
    /// USD units in one USD: prices are in 10⁻⁹ USD, as amounts are in 10⁻⁹ DML.
    public static let usdUnitsPerDollar: UInt64 = 1_000_000_000
    /// One DML costs one USD until someone with the permission says otherwise.
    public static let `default` = ExchangeRate(usdUnitsPerToken: usdUnitsPerDollar)!

    public let usdUnitsPerToken: UInt64

    /// `nil` for zero (a token worth nothing would make every debt infinite).
    public init?(usdUnitsPerToken: UInt64) {
        guard usdUnitsPerToken > 0 else { return nil }
        self.usdUnitsPerToken = usdUnitsPerToken
    }

    /// The tokens that pay `usd` USD units, rounded down; `nil` if more than any amount.
    public func tokens(forUSD usd: UInt128) -> Amount? {
        let (scaled, overflow) = usd.multipliedReportingOverflow(by: UInt128(Amount.baseUnitsPerToken))
        guard !overflow else { return nil }
        let units = scaled / UInt128(usdUnitsPerToken)
        return units > UInt128(UInt64.max) ? nil : Amount(baseUnits: UInt64(units))
    }

    /// The USD units that `amount` is worth, rounded down.
    public func usd(for amount: Amount) -> UInt128 {
        UInt128(amount.baseUnits) * UInt128(usdUnitsPerToken) / UInt128(Amount.baseUnitsPerToken)
    }

    public var description: String { "\(usdUnitsPerToken) USD units per DML" }

    public func encode(to writer: inout ByteWriter) { writer.write(usdUnitsPerToken) }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        let start = reader.offset
        guard let rate = ExchangeRate(usdUnitsPerToken: try reader.readUInt64("exchange rate")) else {
            throw .invalidValue(field: "exchange rate", offset: start, reason: "zero")
        }
        self = rate
    }
}

/// The storage network's fees, in basis points (seed 004's `NetworkFeeConfig` and protocol fee).
public struct StorageFees: Hashable, Sendable, CanonicalCodable {
    public static let basisPointsMax: UInt16 = 10_000
    public static let none = StorageFees(networkBasisPoints: 0, networkDestination: nil, managementBasisPoints: 0,
                                         protocolBasisPoints: 0, protocolDestination: nil)

    /// Taken first from a cluster's rent revenue, paid to `networkDestination`.
    public var networkBasisPoints: UInt16
    public var networkDestination: AccountID?
    /// Taken next from what remains, paid to the cluster's manager.
    public var managementBasisPoints: UInt16
    /// Taken from usage payments into the protocol's revenue, which a super-admin pays out to
    /// `protocolDestination`.
    public var protocolBasisPoints: UInt16
    public var protocolDestination: AccountID?

    public init(networkBasisPoints: UInt16, networkDestination: AccountID?, managementBasisPoints: UInt16,
                protocolBasisPoints: UInt16, protocolDestination: AccountID?) {
        self.networkBasisPoints = networkBasisPoints
        self.networkDestination = networkDestination
        self.managementBasisPoints = managementBasisPoints
        self.protocolBasisPoints = protocolBasisPoints
        self.protocolDestination = protocolDestination
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(networkBasisPoints)
        writer.write(networkDestination)
        writer.write(managementBasisPoints)
        writer.write(protocolBasisPoints)
        writer.write(protocolDestination)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        networkBasisPoints = try reader.readUInt16("network fee")
        networkDestination = try reader.readOptional(AccountID.self, "network fee destination")
        managementBasisPoints = try reader.readUInt16("management fee")
        protocolBasisPoints = try reader.readUInt16("protocol fee")
        protocolDestination = try reader.readOptional(AccountID.self, "protocol fee destination")
    }
}

extension Amount {
    /// `self × basisPoints / 10 000`, rounded down (never more than `self`).
    func share(basisPoints: UInt16) -> Amount {
        Amount(baseUnits: UInt64(UInt128(baseUnits) * UInt128(basisPoints) / 10_000))
    }
}
