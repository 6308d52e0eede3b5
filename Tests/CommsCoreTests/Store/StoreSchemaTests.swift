import Crypto
import Foundation
import Testing

@testable import CommsCore

/// A released migration never changes what it does. Each migration's SQL,
/// with comments and layout taken out, is held here by its SHA-256, per
/// dialect: the figures were taken from the two schema files as released
/// (SQLiteSchema and PostgresSchema at 46faadb, before they were written
/// once as StoreSchema), by the same normalisation.
@Suite struct StoreSchemaTests {
  static let released: [StoreSchema.Dialect: [(String, String)]] = [
    .sqlite: [
      ("0001-queue-and-audit", "afacf7805afcd828a0a5a060f966558f1155482f4ec71e933aedbb2ad77839d5"),
      (
        "0002-targeting-bulletins-fallback",
        "144c1b1b1c64750012beac2164e627491de4345db68f2f650cfc17548676854e"
      ),
      ("0003-dosing", "95759febe6b61a31972adc56ebe058ba2e69059a2128b7fcfd176fe63793a988"),
      ("0004-digests", "6c1a1875b16e8f9e55d982e7e5272409e32101e0b1fc6adf4a911808b9b5224f"),
      (
        "0005-supersede-cancel-expiry",
        "289feb374b5034e3003a1fe1d54390959d345d286730fa77b26e0a99b7394e77"
      ),
      ("0006-audit-chain", "f2dbdc89480e0f19599351fe7a6193b6a1af577149ef95052556e551eeac340e"),
      ("0007-fewer-indexes", "ff912569281d548a84d8ef85c9c88e5dd49348c95158b5c78a7f9b4f209d48b3"),
      ("0008-retention", "fa904b92eadd6c4ab97c3ddaa57f3524125f56ab5e835346e45a6e6d2a472729"),
      (
        "0009-cap-keys-per-token",
        "e0b8f5cd37af1d5f1b8304487e7ec76e9fa88d0674d37636ab7075f5e8310575"
      ),
      ("0010-receipts", "bb3224edb77b6d2f9cae5dbcbfd18daf0e03ce358073777baf12634f5535f567"),
      ("0011-confirmations", "8110140bddd5c283c4894300bd4692e11d2ce3fdad1a2ddf7789df9514907d7f"),
    ],
    .postgres: [
      ("0001-queue-and-audit", "e3fb2d0582997c0787be424034f0a5d033253fe78b2aee143517e98f4da52e60"),
      (
        "0002-targeting-bulletins-fallback",
        "144c1b1b1c64750012beac2164e627491de4345db68f2f650cfc17548676854e"
      ),
      ("0003-dosing", "95759febe6b61a31972adc56ebe058ba2e69059a2128b7fcfd176fe63793a988"),
      ("0004-digests", "6c1a1875b16e8f9e55d982e7e5272409e32101e0b1fc6adf4a911808b9b5224f"),
      (
        "0005-supersede-cancel-expiry",
        "cc03e536d3631d462410c1df75a238f97f1ad3be3222cda3b7dcc9aafc2a09a6"
      ),
      ("0006-audit-chain", "de246611746d12a9337abfd9c180eb9680d7b3b8ace99f0111921c9ab039ecc1"),
      ("0007-fewer-indexes", "17db4fd369edb9244b9f91d9aeed145c3d04ad8ba6e95d06247f07a63527d11a"),
      ("0008-retention", "fa904b92eadd6c4ab97c3ddaa57f3524125f56ab5e835346e45a6e6d2a472729"),
      (
        "0009-cap-keys-per-token",
        "d611a80943e4710c7609b29ff33e07539b2e026a2e634015557509b913dcce4f"
      ),
      ("0010-receipts", "bb3224edb77b6d2f9cae5dbcbfd18daf0e03ce358073777baf12634f5535f567"),
      ("0011-confirmations", "8110140bddd5c283c4894300bd4692e11d2ce3fdad1a2ddf7789df9514907d7f"),
    ],
  ]

  /// Comments (`--` to the end of a line) out, every run of white space one
  /// space, trimmed.
  static func normalised(_ sql: String) -> String {
    let lines = sql.split(separator: "\n", omittingEmptySubsequences: false).map { line in
      line.range(of: "--").map { line[..<$0.lowerBound] } ?? line
    }
    return lines.joined(separator: " ")
      .split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
  }

  static func digest(_ sql: String) -> String {
    LowerHex.string(SHA256.hash(data: Data(normalised(sql).utf8)))
  }

  @Test(arguments: [StoreSchema.Dialect.sqlite, .postgres])
  func everyReleasedMigrationStillDoesWhatItDid(dialect: StoreSchema.Dialect) throws {
    let migrations = StoreSchema.migrations(dialect)
    let released = try #require(Self.released[dialect])
    // Released ones first, in order; a new migration may only follow them.
    #expect(migrations.count >= released.count)
    for (migration, (name, digest)) in zip(migrations, released) {
      #expect(migration.name == name)
      #expect(Self.digest(migration.sql) == digest, "\(dialect) \(name) changed")
    }
  }

  @Test func bothDialectsHaveTheSameMigrationsInTheSameOrder() {
    #expect(
      StoreSchema.migrations(.sqlite).map(\.name) == StoreSchema.migrations(.postgres).map(\.name))
  }

  @Test func theNormalisationKeepsWhatChangesTheSchema() {
    // A changed column type or a dropped statement changes the digest.
    #expect(
      Self.digest("CREATE TABLE t (a TEXT); -- x\n") == Self.digest("CREATE  TABLE t (a TEXT);"))
    #expect(Self.digest("CREATE TABLE t (a TEXT);") != Self.digest("CREATE TABLE t (a INTEGER);"))
  }
}
