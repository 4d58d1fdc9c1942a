import DMLCore

/// Everything that defines a chain at genesis. Its hash is the chain's identity, which every
/// transaction signs, so a transaction for one chain is refused on any other.
public struct ChainSpec: Hashable, Sendable, CanonicalCodable {
    /// A genesis allocation: an account and its starting balance.
    public struct Allocation: Hashable, Sendable, CanonicalCodable {
        public let account: AccountID
        public let amount: Amount

        public init(_ account: AccountID, _ amount: Amount) {
            self.account = account
            self.amount = amount
        }

        public func encode(to writer: inout ByteWriter) {
            writer.write(account)
            writer.write(amount)
        }

        public init(from reader: inout ByteReader) throws(DecodingError) {
            account = try reader.read()
            amount = try reader.read()
        }
    }

    /// A module and the logic version it starts with.
    public struct ModuleVersion: Hashable, Sendable, CanonicalCodable {
        public let module: ModuleID
        public let version: UInt32

        public init(_ module: ModuleID, _ version: UInt32) {
            self.module = module
            self.version = version
        }

        public func encode(to writer: inout ByteWriter) {
            writer.write(module)
            writer.write(version)
        }

        public init(from reader: inout ByteReader) throws(DecodingError) {
            module = try reader.read()
            version = try reader.readUInt32("version")
        }
    }

    public static let nameBytesMax = 64
    public static let listCountMax = 100_000

    /// Human name, e.g. `dml-dev`.
    public var name: String
    /// A development chain has a faucet; a production chain never does.
    public var isDevelopment: Bool
    public var genesisTimestampMilliseconds: UInt64
    public var modules: [ModuleVersion]
    public var allocations: [Allocation]
    public var superAdmins: [AccountID]
    /// The most a single faucet call may mint (development chains only).
    public var faucetAmountMax: Amount

    public init(
        name: String, isDevelopment: Bool, genesisTimestampMilliseconds: UInt64,
        modules: [ModuleVersion] = ChainSpec.latestModules, allocations: [Allocation],
        superAdmins: [AccountID], faucetAmountMax: Amount = .tokens(1_000)!
    ) {
        self.name = name
        self.isDevelopment = isDevelopment
        self.genesisTimestampMilliseconds = genesisTimestampMilliseconds
        self.modules = modules
        self.allocations = allocations
        self.superAdmins = superAdmins
        self.faucetAmountMax = faucetAmountMax
    }

    /// The newest version of every built-in module: what a new chain starts with.
    public static let latestModules: [ModuleVersion] = [
        ModuleVersion(.registry, 1), ModuleVersion(.roles, 1), ModuleVersion(.balances, 2), ModuleVersion(.marketplace, 2), ModuleVersion(.bounties, 1), ModuleVersion(.tasks, 2), ModuleVersion(.vouchers, 1), ModuleVersion(.storage, 1), ModuleVersion(.jobs, 1),
        ModuleVersion(.federated, 1), ModuleVersion(.privacy, 1),
    ]

    /// The chain's identity: SHA-256 of `DML-CHAIN` followed by the spec's canonical bytes.
    public var id: Hash256 { Hash256.of(Array("DML-CHAIN".utf8) + canonicalBytes) }

    public func encode(to writer: inout ByteWriter) {
        writer.write(name)
        writer.write(isDevelopment)
        writer.write(genesisTimestampMilliseconds)
        writer.write(modules)
        writer.write(allocations)
        writer.write(superAdmins)
        writer.write(faucetAmountMax)
    }

    public init(from reader: inout ByteReader) throws(DecodingError) {
        name = try reader.readString(maxBytes: Self.nameBytesMax, "chain name")
        isDevelopment = try reader.readBool("development flag")
        genesisTimestampMilliseconds = try reader.readUInt64("genesis timestamp")
        modules = try reader.readArray(maxCount: 1_000, "modules")
        allocations = try reader.readArray(maxCount: Self.listCountMax, "allocations")
        superAdmins = try reader.readArray(maxCount: 1_000, "super-admins")
        faucetAmountMax = try reader.read()
    }
}
