import Foundation
import Testing

@testable import CommsCore

@Suite struct StoreSettingsTests {
  func parse(_ top: String, tables: String = "") throws(ConfigErrors) -> Configuration {
    try ConfigurationLoader.parse(
      top + "\n" + ConfigurationLoaderTests.minimal + "\n" + tables,
      file: "/etc/commsd/commsd.toml")
  }

  func errors(_ top: String, tables: String = "") -> [String] {
    do {
      _ = try parse(top, tables: tables)
      return []
    } catch {
      return error.errors.map(\.description)
    }
  }

  @Test func theStoreIsSQLiteUnlessAPostgreSQLURLIsGiven() throws {
    #expect(try parse("").store == .sqlite)
    #expect(try parse("store = \"sqlite\"").store == .sqlite)
    #expect(
      try parse(
        "store = \"postgres://commsd@db1:5432,db2:5432/commsd?target_session_attrs=read-write\""
      )
      .store
        == .postgres(
          url: "postgres://commsd@db1:5432,db2:5432/commsd?target_session_attrs=read-write",
          password: nil))
  }

  @Test func thePasswordComesFromAFileOfItsOwn() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "pg-password-\(UUID().uuidString)")
    try "s3cret\n".write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let configuration = try parse(
      "store = \"postgres://commsd@127.0.0.1/commsd\"\nstore_password_file = \"\(file.path)\"")
    #expect(
      configuration.store
        == .postgres(url: "postgres://commsd@127.0.0.1/commsd", password: "s3cret"))
  }

  @Test func aBadStoreIsNamedWithFileAndLine() {
    #expect(
      errors("store = \"mysql://db/commsd\"").first?.hasPrefix(
        "/etc/commsd/commsd.toml:1: store: expected \"sqlite\" or a PostgreSQL URL") == true)
    #expect(
      errors("store = \"postgres://commsd:hunter2@db/commsd\"").first?.contains(
        "store: holds a password: put it in a file of its own") == true)
    #expect(
      errors("store_password_file = \"/nonexistent/pg\"").first?.contains(
        "store_password_file: cannot read the secret file /nonexistent/pg") == true)
  }

  @Test func retentionRunsOnEitherStore() throws {
    let configuration = try parse(
      "store = \"postgres://commsd@127.0.0.1/commsd\"", tables: "[retention]\nperiod = \"90d\"")
    #expect(configuration.retention.period == .seconds(90 * 86_400))
  }

}
