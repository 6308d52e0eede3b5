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
        "store = \"postgres://commsd@db1:5432,db2:5432/commsd?target_session_attrs=read-write&sslmode=verify-full\""
      )
      .store
        == .postgres(
          url:
            "postgres://commsd@db1:5432,db2:5432/commsd?target_session_attrs=read-write&sslmode=verify-full",
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

  @Test func aPasswordInTheQueryIsRefusedWithoutBeingEchoed() {
    for url in [
      "postgres://commsd@127.0.0.1/commsd?password=hunter2",
      "postgres://commsd@127.0.0.1/commsd?sslmode=require&PASSWORD=hunter2",
      "postgres://commsd@127.0.0.1/commsd?pass%77ord=hunter2",
      "postgres://commsd:hunter2@127.0.0.1/commsd",
    ] {
      let found = errors("store = \"\(url)\"")
      #expect(found.count == 1, "\(url): \(found)")
      #expect(
        found.first?.hasPrefix(
          "/etc/commsd/commsd.toml:1: store: holds a password") == true, "\(found)")
      #expect(found.first?.contains("store_password_file") == true)
      #expect(found.allSatisfy { !$0.contains("hunter2") }, "\(found)")
    }
    // Nor is it echoed when the URL is wrong for another reason.
    let wrong = errors("store = \"postgress://u:hunter2@db/x?password=hunter2\"")
    #expect(wrong.first?.contains("expected \"sqlite\" or a PostgreSQL URL") == true)
    #expect(wrong.allSatisfy { !$0.contains("hunter2") }, "\(wrong)")
  }

  @Test func aPasswordIsRedactedWhereverTheURLIsShown() {
    #expect(
      PostgresStore.redacted("postgres://u:hunter2@db/x?sslmode=require&password=hunter2&a=b")
        == "postgres://u:***@db/x?sslmode=require&password=***&a=b")
    #expect(
      PostgresStore.redacted("postgres://db/x?Pass%77ord=hunter2")
        == "postgres://db/x?Pass%77ord=***")
    #expect(PostgresStore.redacted("postgres://u@db/x") == "postgres://u@db/x")
  }

  @Test func aServerOverTheNetworkNeedsTLSUnlessPlaintextIsChosen() throws {
    let refused = errors("store = \"postgres://commsd@db.kommune.example/commsd\"")
    #expect(refused.count == 1)
    #expect(
      refused.first?.hasPrefix(
        "/etc/commsd/commsd.toml:1: store: db.kommune.example is reachable over the network: add sslmode=verify-full"
      ) == true, "\(refused)")
    #expect(refused.first?.contains("store_plaintext = true") == true)
    // One remote host among several, or one named by host= in the query.
    #expect(errors("store = \"postgres://commsd@127.0.0.1,db2/commsd\"").count == 1)
    #expect(errors("store = \"postgres://commsd@localhost/commsd?host=10.0.0.7\"").count == 1)
    #expect(errors("store = \"postgres://commsd@db/commsd?sslmode=prefer\"").count == 1)
    #expect(errors("store = \"postgres://commsd@[2001:db8::7]:5432/commsd\"").count == 1)
    for accepted in [
      "postgres://commsd@db.kommune.example/commsd?sslmode=require",
      "postgres://commsd@db1,db2/commsd?target_session_attrs=read-write&sslmode=verify-ca",
      "postgresql://commsd@127.0.0.1:55432/commsd",
      "postgres://commsd@[::1]/commsd",
      "postgres://commsd@localhost/commsd",
      "postgres:///commsd?host=/var/run/postgresql",
    ] {
      #expect(try parse("store = \"\(accepted)\"").store == .postgres(url: accepted, password: nil))
    }
    let plaintext = "postgres://commsd@db.kommune.example/commsd"
    #expect(
      try parse("store = \"\(plaintext)\"\nstore_plaintext = true").store
        == .postgres(url: plaintext, password: nil))
    #expect(
      errors("store_plaintext = true").first?.contains(
        "store_plaintext: is for a PostgreSQL store") == true)
  }

  @Test func retentionRunsOnEitherStore() throws {
    let configuration = try parse(
      "store = \"postgres://commsd@127.0.0.1/commsd\"", tables: "[retention]\nperiod = \"90d\"")
    #expect(configuration.retention.period == .seconds(90 * 86_400))
  }

}
