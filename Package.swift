// swift-tools-version:6.2
import PackageDescription

let package = Package(
  name: "commsd",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "CommsCore", targets: ["CommsCore"]),
    .executable(name: "commsd", targets: ["commsd"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
  ],
  targets: [
    // libcurl and libpq, opened with dlopen when first needed rather than
    // linked: every command would otherwise load their dependency chains at
    // start, though only the daemon and a PostgreSQL store use them (see
    // CCurl.h). Their headers come from libcurl4-openssl-dev and libpq-dev.
    .target(name: "CCurl"),
    .target(name: "CPostgres"),
    // glibc's malloc_trim, to give memory back after big one-off jobs.
    .systemLibrary(name: "CMalloc"),
    .target(
      name: "CommsCore",
      dependencies: [
        "CCurl",
        "CMalloc",
        "CPostgres",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Crypto", package: "swift-crypto"),
        // scrypt, the memory-hard KDF of console passwords.
        .product(name: "CryptoExtras", package: "swift-crypto"),
        .product(name: "GRDB", package: "GRDB.swift"),
        // SQLite's C API, to bind the hot path's values without boxing them.
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "Mustache", package: "swift-mustache"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTLS", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOTLS", package: "swift-nio"),
      ]
    ),
    .executableTarget(
      name: "commsd",
      dependencies: [
        "CommsCore",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]
    ),
    // A throw-away PostgreSQL cluster for both test targets.
    .target(
      name: "PostgresTestSupport",
      path: "Tests/PostgresTestSupport"
    ),
    .testTarget(
      name: "CommsCoreTests",
      dependencies: [
        "CommsCore", "PostgresTestSupport", .product(name: "Crypto", package: "swift-crypto"),
        // RSA keys to sign the ID tokens the OIDC tests verify.
        .product(name: "CryptoExtras", package: "swift-crypto"),
      ]
    ),
    .testTarget(
      name: "EndToEndTests",
      dependencies: [
        "CommsCore", "PostgresTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
  ],
  swiftLanguageModes: [.v6]
)
