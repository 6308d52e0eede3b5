import Foundation
import GRDB
import Logging
import PostgresTestSupport
import Testing

@testable import CommsCore

/// The stores the conformance tests run against: the same behaviour is
/// expected of both.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
  case sqlite
  case postgres

  var testDescription: String { rawValue }
}

/// A store (SQLite in a temporary folder, or a fresh PostgreSQL database)
/// with a small configuration, for tests of the stages that talk through it.
struct StoreFixture {
  let directory: URL
  let kind: StoreKind
  let store: any Store
  /// The PostgreSQL database's URL, dropped by `cleanUp()`.
  let databaseURL: String?
  let configuration: CommsCore.Configuration
  let clock = ManualClock(Date(timeIntervalSince1970: 1_790_000_000))

  /// The SQLite store, for tests of what only it has (retention, reports).
  var sqlite: SQLiteStore { store as! SQLiteStore }

  /// `more`: TOML appended to the configuration (more recipients, keys).
  init(_ kind: StoreKind = .sqlite, more: String = "") throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "commsd-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    self.kind = kind
    switch kind {
    case .sqlite:
      store = try SQLiteStore(path: directory.appendingPathComponent("commsd.sqlite").path)
      databaseURL = nil
    case .postgres:
      let url = try TestPostgres.freshDatabase()
      store = try PostgresStore(url: url, connections: 4)
      databaseURL = url
    }
    configuration = try ConfigurationLoader.parse(
      """
      data_dir = "var"
      [relays.local]
      url = "smtp://127.0.0.1:2525"
      from = "Krisestab <krisestab@kommune.example>"
      [endpoints.sms]
      url = "http://127.0.0.1:8099/sms"
      secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
      [audiences.staff]
      [audiences.relatives]
      [audiences.police]
      [[recipients]]
      id = "a"
      name = "Anne"
      audiences = ["staff"]
      contacts = ["anne@kommune.example"]
      [[recipients]]
      id = "b"
      name = "Bo"
      audiences = ["staff", "relatives"]
      contacts = ["sms:+4511111111", "bo@kommune.example"]
      language = "en"
      [[recipients]]
      id = "c"
      name = "Cecilie"
      audiences = ["relatives"]
      contacts = ["sms:+4522222222"]
      \(more)
      """, file: directory.appendingPathComponent("commsd.toml").path)
  }

  func intake() -> Intake { Intake(configuration: configuration, store: store, clock: clock) }

  func request(
    audiences: [String] = ["staff"], subject: String = "Besøgsforbud", body: String = "Tekst",
    key: String? = nil
  ) -> SendRequest {
    SendRequest(
      audiences: audiences, priority: .urgent,
      contents: ["da": MessageContent(subject: subject, body: body)],
      idempotencyKey: key, sender: Sender(kind: .cli, name: "tester", origin: "localhost"))
  }

  /// A flash message to `audiences`, made as intake makes it, with its
  /// fingerprint and its plan (for the fast lane, which accepts, plans and
  /// leases it in one transaction).
  func flash(audiences: [String], key: String? = nil) throws -> (Message, String, Plan) {
    var request = request(audiences: audiences, key: key)
    request.priority = .flash
    let (message, fingerprint) = try intake().makeMessage(request)
    var generator = SystemRandomNumberGenerator()
    let plan = Planner(dosing: Dosing()).plan(
      message, directory: configuration.directory, at: message.acceptedAt, using: &generator)
    return (message, fingerprint, plan)
  }

  /// A recorder and a dispatcher for node "n1" on `store` (this fixture's
  /// unless given), with the webhook and email transports and `engine`.
  /// Neither runs until a test starts it.
  func dispatcher(engine: CurlEngine, store: (any Store)? = nil) -> (Dispatcher, Recorder) {
    let store = store ?? self.store
    let logger = Logger(label: "test")
    let recorder = Recorder(
      store: store, owner: "n1", policy: RetryPolicy(), clock: clock, batchLimit: 10,
      written: Doorbell(), logger: logger)
    let dispatcher = Dispatcher(
      store: store, owner: "n1", configuration: configuration, engine: engine,
      transports: [
        .webhook: WebhookTransport(configuration: configuration, clock: clock),
        .email: EmailTransport(configuration: configuration, clock: clock),
      ], recorder: recorder, doorbell: Doorbell(), clock: clock, logger: logger)
    return (dispatcher, recorder)
  }

  /// Accepts a message; returns its id, or throws if it was not accepted.
  func accept(_ request: SendRequest) async throws -> MessageID {
    guard case .accepted(let id) = try await intake().accept(request) else {
      throw StoreError.corrupt("\(request.priority) message to \(request.audiences) not accepted")
    }
    return id
  }

  /// Accepts and plans a message; returns its id.
  func acceptAndPlan(_ request: SendRequest) async throws -> MessageID {
    let id = try await accept(request)
    let message = try await store.message(id)!
    var generator = SystemRandomNumberGenerator()
    let plan = Planner(dosing: Dosing()).plan(
      message, directory: configuration.directory, at: clock.now(), using: &generator)
    try await store.savePlan(plan, at: clock.now())
    return id
  }

  /// Runs `sql` (one statement, `?` for each argument) directly on the
  /// store's database, to set up a state no public method makes.
  func execute(_ sql: String, _ arguments: [String] = []) async throws {
    switch kind {
    case .sqlite:
      try await sqlite.pool.write { db in
        try db.execute(sql: sql, arguments: StatementArguments(arguments))
      }
    case .postgres:
      var text = sql
      for argument in arguments {
        guard let mark = text.firstIndex(of: "?") else { break }
        text.replaceSubrange(
          mark...mark, with: "'\(argument.replacingOccurrences(of: "'", with: "''"))'")
      }
      try TestPostgres.psql(databaseURL!, text)
    }
  }

  /// The integers of the first column of `sql`'s rows.
  func integers(_ sql: String) async throws -> [Int] {
    switch kind {
    case .sqlite:
      try await sqlite.pool.read { db in try Int.fetchAll(db, sql: sql) }
    case .postgres:
      try TestPostgres.psql(databaseURL!, sql).split(separator: "\n").compactMap { Int($0) }
    }
  }

  /// The same store opened anew (after a restart).
  func reopened() throws -> any Store {
    switch kind {
    case .sqlite: try SQLiteStore(path: sqlite.path)
    case .postgres: try PostgresStore(url: databaseURL!, connections: 2)
    }
  }

  /// The first column of `sql`'s rows, as text.
  func strings(_ sql: String) async throws -> [String] {
    try await store.read { reader in try reader.strings(sql) }
  }

  func cleanUp() {
    try? FileManager.default.removeItem(at: directory)
    if let databaseURL { TestPostgres.drop(databaseURL) }
  }
}
