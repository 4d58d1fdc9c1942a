// swift-tools-version:6.1
import PackageDescription

// Warnings are errors in CI (scripts/test sets DML_STRICT=1): Swift 6 reports some data races
// (a captured `var` mutated in a closure) only as warnings.
let strict = Context.environment["DML_STRICT"] == "1"
let swiftSettings: [SwiftSetting] = strict ? [.unsafeFlags(["-warnings-as-errors"])] : []

let package = Package(
    name: "dml",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "dml", targets: ["dml"]),
        .library(name: "DMLCore", targets: ["DMLCore"]),
        .library(name: "DMLLedger", targets: ["DMLLedger"]),
        .library(name: "DMLStore", targets: ["DMLStore"]),
        .library(name: "DMLNode", targets: ["DMLNode"]),
        .library(name: "DMLBlobs", targets: ["DMLBlobs"]),
        .library(name: "DMLSandbox", targets: ["DMLSandbox"]),
        .library(name: "DMLWorker", targets: ["DMLWorker"]),
        .library(name: "DMLLearning", targets: ["DMLLearning"]),
        .library(name: "DMLSystem", targets: ["DMLSystem"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftwasm/WasmKit.git", from: "0.4.2"),
    ],
    targets: [
        // Threads for blocking work, child processes awaited as events, the stall watchdog: the
        // only place that may block a thread (see Blocking.swift).
        .target(name: "DMLSystem", swiftSettings: swiftSettings),
        // Amount, AccountID, Hash256, typed identifiers, the canonical encoding.
        .target(
            name: "DMLCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // The pure, deterministic ledger: transactions, modules, blocks, state root.
        .target(
            name: "DMLLedger",
            dependencies: [
                "DMLCore",
                .product(name: "Crypto", package: "swift-crypto"),
                // ChaCha20 for the state root's lattice hash: BoringSSL's vectorised code.
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The durable append-only block log and snapshots, on SQLite or PostgreSQL (SQLKit).
        .target(
            name: "DMLStore",
            dependencies: [
                "DMLLedger",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // Content addresses (CIDv1) and the streamed, verified, crash-safe blob store.
        .target(
            name: "DMLBlobs",
            dependencies: ["DMLCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Algorithms: packages and manifests, the WasmKit host (ABI, fuel, memory and output caps),
        // run receipts, input and output formats, aggregation rules.
        .target(
            name: "DMLSandbox",
            dependencies: [
                "DMLCore", "DMLSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmParser", package: "WasmKit"),
            ],
            swiftSettings: swiftSettings
        ),
        // Federated learning in pure Swift: tensors, models, SGD, aggregation strategies,
        // secure aggregation (X25519, AES-CTR masks, Shamir shares) and differential privacy.
        .target(
            name: "DMLLearning",
            dependencies: [
                "DMLCore", "DMLSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                // AES-CTR: the pseudorandom generator that expands secure-aggregation masks.
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The device: asks the API for work, runs it in the sandbox on local data, sends results.
        // A library so that an app can embed it; `dml worker` is its command line.
        .target(
            name: "DMLWorker",
            dependencies: [
                "DMLSandbox", "DMLCore", "DMLLearning",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The sequencer: parallel signature checks, ordered application, durable block commits.
        .target(
            name: "DMLNode",
            dependencies: ["DMLLedger", "DMLStore"],
            swiftSettings: swiftSettings
        ),
        // Storage nodes (an HTTP process each), their client library, placement and repair.
        .target(
            name: "DMLStorageNode",
            dependencies: [
                "DMLNode", "DMLBlobs", "DMLSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The API server: users and auth, every resource under /v1, the indexer.
        .target(
            name: "DMLServer",
            dependencies: [
                "DMLNode", "DMLBlobs", "DMLSandbox", "DMLLearning", "DMLSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            // The web console's files, copied beside the binary (Routes/ConsoleRoutes.swift finds them).
            resources: [.embedInCode("OpenAPI/openapi.json"), .copy("Console")],
            swiftSettings: swiftSettings
        ),
        // Every `dml` subcommand, as a testable library.
        .target(
            name: "DMLCommands",
            dependencies: [
                "DMLNode", "DMLStorageNode", "DMLServer", "DMLBlobs", "DMLSandbox", "DMLWorker", "DMLLearning", "DMLSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "dml", dependencies: ["DMLCommands"], swiftSettings: swiftSettings),
        .testTarget(name: "DMLSystemTests", dependencies: ["DMLSystem"], swiftSettings: swiftSettings),
        .testTarget(name: "DMLCoreTests", dependencies: ["DMLCore"], swiftSettings: swiftSettings),
        .testTarget(name: "DMLBlobsTests", dependencies: ["DMLBlobs"], swiftSettings: swiftSettings),
        .testTarget(name: "DMLLedgerTests", dependencies: ["DMLLedger"], swiftSettings: swiftSettings),
        .testTarget(name: "DMLSandboxTests", dependencies: ["DMLSandbox", "DMLSystem"], swiftSettings: swiftSettings),
        .testTarget(name: "DMLLearningTests", dependencies: ["DMLLearning"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DMLNodeTests",
            dependencies: [
                "DMLNode", "DMLStore", "DMLCommands", "DMLStorageNode", "DMLServer", "DMLBlobs",
                "DMLSandbox", "DMLWorker", "DMLLearning", "DMLSystem",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
