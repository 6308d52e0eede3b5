import Foundation
import GRDB
import Logging
import Testing

@testable import CommsCore

/// The retention period: bodies, names, addresses and error texts become
/// keyed hashes; the audit chain still verifies; nothing readable is left
/// in the database file.
@Suite struct RetentionTests {
  static let key = [UInt8](repeating: 7, count: 32)
  static let body = "Besøg er igen tilladt fra mandag kl. 10"
  let hash = KeyedHash(key: RetentionTests.key)

  /// A message to staff and relatives that has gone out: Anne delivered;
  /// Bo's SMS refused (the relay's text repeats the number), his email
  /// delivered; Cecilie unreachable. Returns the message id.
  func sentMessage(_ fixture: StoreFixture) async throws -> MessageID {
    let id = try await fixture.acceptAndPlan(
      fixture.request(audiences: ["staff", "relatives"], subject: "Besøg", body: Self.body))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10)
    try await fixture.store.record(
      leased.map { delivery in
        let refused = delivery.contact.address.hasPrefix("+45")
        return AttemptRecord(
          deliveryID: delivery.id, messageID: id, newState: refused ? .dead : .delivered,
          dueAt: nil, at: now, target: "endpoint:sms", statusCode: refused ? 400 : 204,
          error: refused ? "number \(delivery.contact.address) is not in service" : nil,
          duration: .milliseconds(3), attempt: 1)
      }, owner: "n")
    let fallback = try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10)
    #expect(fallback.map(\.contact.address) == ["bo@kommune.example"])
    try await fixture.store.record(
      fallback.map {
        AttemptRecord(
          deliveryID: $0.id, messageID: id, newState: .delivered, dueAt: nil, at: now,
          target: "relay:local", statusCode: 250, error: nil, duration: .milliseconds(3),
          attempt: 1)
      }, owner: "n")
    return id
  }

  /// What the store holds: for SQLite every file (the database and its
  /// write-ahead log) as bytes, free pages included; for PostgreSQL every
  /// row of the three tables that hold personal data, as text.
  func storeBytes(_ fixture: StoreFixture) async throws -> Data {
    if fixture.kind == .postgres {
      let rows = try await fixture.strings(
        """
        SELECT t::text FROM messages t UNION ALL SELECT t::text FROM deliveries t
        UNION ALL SELECT t::text FROM audit_events t
        """)
      return Data(rows.joined(separator: "\n").utf8)
    }
    var data = Data()
    for suffix in ["", "-wal"] {
      if let part = FileManager.default.contents(atPath: fixture.sqlite.path + suffix) {
        data.append(part)
      }
    }
    return data
  }

  let personal = [
    "anne@kommune.example", "bo@kommune.example", "+4511111111", "+4522222222", "Cecilie",
    "Anne", RetentionTests.body,
  ]

  /// After retention a dead letter's contact is `hmac-sha256:…`: retrying
  /// it would hand the hash to a gateway. Refused, naming why, on both stores.
  @Test(arguments: StoreKind.allCases)
  func aDeadLetterOfAPseudonymisedMessageIsNotRetried(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await sentMessage(fixture)
    let dead = try await fixture.store.deadDeliveries(of: id, limit: 10)
    #expect(!dead.isEmpty)
    let now = fixture.clock.now() + 3600
    _ = try await fixture.store.applyRetention(before: now, hash: hash, at: now, period: "1h")
    let actor = Sender(kind: .cli, name: "op", origin: "h")
    for target in [id.rawValue] + dead.map(\.id) {
      do {
        let retried = try await fixture.store.retryDead(target, actor: actor, at: now)
        Issue.record("\(target) was retried: \(retried)")
      } catch StoreError.refused(let field, let reason) {
        #expect(field == "id")
        #expect(reason.contains("keyed hashes"), "\(reason)")
      }
    }
    #expect(try await fixture.store.status(of: id)?.counts["ready"] == nil)
    #expect(try await fixture.store.auditEvents(kinds: ["delivery.retried"]).isEmpty)
  }

  @Test(arguments: StoreKind.allCases)
  func personalDataBecomesKeyedHashesAndTheChainStillVerifies(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await sentMessage(fixture)
    let before = try await storeBytes(fixture)
    for value in personal {
      #expect(before.range(of: Data(value.utf8)) != nil, "\(value) is in the store before")
    }

    let now = fixture.clock.now() + 3600
    let outcome = try await fixture.store.applyRetention(
      before: now, hash: hash, at: now, period: "1h")
    #expect(outcome.messages == 1)
    #expect(outcome.deliveries == 4)
    #expect(outcome.auditEvents == 3)  // two dead attempts, one unreachable

    guard case .intact = try await fixture.store.verifyAudit() else {
      Issue.record("the chain no longer verifies")
      return
    }
    let after = try await storeBytes(fixture)
    for value in personal {
      #expect(after.range(of: Data(value.utf8)) == nil, "\(value) is still in the store file")
    }

    // What stays readable: states, codes, subjects, ids; the same address
    // gives the same pseudonym.
    let status = try #require(try await fixture.store.status(of: id))
    #expect(status.counts == ["delivered": 2, "dead": 2])
    #expect(try await fixture.store.message(id)?.contents["da"]?.subject == "Besøg")
    #expect(
      try await fixture.store.message(id)?.contents["da"]?.body == hash.pseudonym(Self.body))
    let addresses = Set(try await fixture.strings("SELECT address FROM deliveries"))
    #expect(addresses.contains(hash.pseudonym("bo@kommune.example")))
    #expect(addresses.allSatisfy(KeyedHash.isPseudonym))
    let events = try await fixture.store.auditEvents(messageID: id)
    let dead = try #require(events.first { $0.event.kind == "delivery.dead" })
    #expect(dead.event.detail["status"] == "400")
    #expect(dead.event.personal["error"].map(KeyedHash.isPseudonym) == true)
    let marked = try #require(events.last)
    #expect(marked.event.kind == "message.pseudonymised")
    #expect(marked.event.detail["deliveries"] == "4")

    // A request for access still finds everything sent to Cecilie.
    let subject = try await fixture.store.subjectAccess(recipient: "c")
    #expect(subject.map(\.state) == ["dead"])
    #expect(subject.first?.contact == "sms:(removed after the retention period)")
    // And the report still counts, without the names.
    let report = try #require(try await fixture.store.afterActionReport(message: id, at: now))
    let unreachable = report.messages.flatMap(\.audiences).flatMap(\.unreachablePeople)
    #expect(unreachable.map(\.id) == ["c"])
    #expect(unreachable.first?.name == "(removed after the retention period)")
    #expect(unreachable.first?.reason == "status 400 (text (removed after the retention period))")

    // A second pass finds nothing left to do.
    #expect(
      try await fixture.store.applyRetention(before: now, hash: hash, at: now, period: "1h")
        == RetentionOutcome())
  }

  /// An operator's note on a phone confirmation may name people: it is
  /// hashed with the rest, in the table and in the audit log.
  @Test(arguments: StoreKind.allCases)
  func aConfirmationsNoteBecomesAKeyedHash(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    var request = fixture.request(subject: "Besøg", body: Self.body)
    request.confirmation = ConfirmationRequest()
    let id = try await fixture.acceptAndPlan(request)
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10)
    try await fixture.store.record(
      leased.map {
        AttemptRecord(
          deliveryID: $0.id, messageID: id, newState: .delivered, dueAt: nil, at: now,
          target: "relay:local", statusCode: 250, error: nil, duration: .zero, attempt: 1)
      }, owner: "n")
    let note = "rang Anne Hansen on 20000001"
    #expect(
      try await fixture.store.confirm(
        Confirmation(
          deliveryID: leased[0].id, way: .byOperator, at: now, actor: "cli:op@h", note: note))
        == .confirmed(late: false))
    let later = now + 3600
    _ = try await fixture.store.applyRetention(before: later, hash: hash, at: later, period: "1h")
    #expect(try await fixture.strings("SELECT note FROM confirmations") == [hash.pseudonym(note)])
    let event = try #require(
      try await fixture.store.auditEvents(kinds: ["confirmation.received"]).first)
    #expect(event.event.personal["note"].map(KeyedHash.isPseudonym) == true)
    guard case .intact = try await fixture.store.verifyAudit() else {
      Issue.record("the chain no longer verifies")
      return
    }
    // Still counted as confirmed.
    #expect(try await fixture.store.status(of: id)?.confirmation?.confirmed == 1)
  }

  @Test func alteredOrRemovedPersonalDataIsNamed() async throws {
    let fixture = try StoreFixture()
    defer { fixture.cleanUp() }
    _ = try await sentMessage(fixture)
    let sequence = try #require(
      try await fixture.sqlite.pool.read { db in
        try Int64.fetchOne(
          db, sql: "SELECT MIN(seq) FROM audit_events WHERE kind = 'delivery.dead'")
      })
    let kind = "delivery.dead"
    try await fixture.sqlite.pool.write { db in
      try db.execute(
        sql:
          "UPDATE audit_events SET personal = replace(personal, 'not in', 'now in') WHERE seq = ?",
        arguments: [sequence])
    }
    #expect(
      try await fixture.store.verifyAudit()
        == .broken(
          sequence: sequence, kind: kind,
          reason: "its personal data was altered (it does not match the chain's commitment)"))
    try await fixture.sqlite.pool.write { db in
      try db.execute(
        sql: "UPDATE audit_events SET personal = NULL WHERE seq = ?", arguments: [sequence])
    }
    #expect(
      try await fixture.store.verifyAudit()
        == .broken(
          sequence: sequence, kind: kind,
          reason: "its personal data was removed (the chain commits to it)"))
  }

  @Test func messagesStillGoingOutOrTooRecentAreLeftAlone() async throws {
    let fixture = try StoreFixture()
    defer { fixture.cleanUp() }
    let sent = try await sentMessage(fixture)
    // Accepted at the fixture's time: not before a cutoff at that time.
    let now = fixture.clock.now() + 3600
    #expect(
      try await fixture.sqlite.applyRetention(
        before: fixture.clock.now(), hash: hash, at: now, period: "1h"
      ).messages == 0)
    #expect(try await fixture.store.message(sent)?.contents["da"]?.body == Self.body)

    // Old enough, but its deliveries have not all gone.
    let pending = try await fixture.acceptAndPlan(fixture.request(body: "Anden tekst"))
    #expect(
      try await fixture.sqlite.applyRetention(before: now, hash: hash, at: now, period: "1h")
        .messages == 1)
    #expect(
      try await fixture.store.message(sent)?.contents["da"]?.body == hash.pseudonym(Self.body))
    #expect(try await fixture.store.message(pending)?.contents["da"]?.body == "Anden tekst")
  }

  @Test func aPassStoppedHalfWayIsFinishedWithoutHashingTwice() async throws {
    let fixture = try StoreFixture()
    defer { fixture.cleanUp() }
    _ = try await sentMessage(fixture)
    // A crash after the first step: some deliveries rewritten, the message not.
    let id = try #require(
      try await fixture.sqlite.pool.read { db in
        try String.fetchOne(db, sql: "SELECT id FROM messages")
      })
    try await fixture.sqlite.pool.write { db in
      _ = try StoreTransaction(connection: .sqlite(db)).pseudonymiseDeliveries(
        of: MessageID(rawValue: id), hash: hash)
    }
    let now = fixture.clock.now() + 3600
    let outcome = try await fixture.sqlite.applyRetention(
      before: now, hash: hash, at: now, period: "1h")
    #expect(outcome.messages == 1)
    #expect(outcome.deliveries == 0)
    let addresses = try await fixture.sqlite.pool.read { db in
      try String.fetchSet(db, sql: "SELECT address FROM deliveries")
    }
    #expect(addresses.contains(hash.pseudonym("anne@kommune.example")))
  }

  @Test func theDaemonsLoopWaitsForThePeriodOnItsClock() async throws {
    let fixture = try StoreFixture()
    defer { fixture.cleanUp() }
    let id = try await sentMessage(fixture)
    let loop = RetentionLoop(
      store: fixture.sqlite, period: .seconds(86_400), checkEvery: .seconds(3600), hash: hash,
      clock: fixture.clock, logger: Logger(label: "test"))
    fixture.clock.advance(by: 86_399)
    #expect(await loop.pass()?.messages == 0)
    fixture.clock.advance(by: 2)
    #expect(await loop.pass()?.messages == 1)
    let events = try await fixture.store.auditEvents(messageID: id)
    #expect(events.last?.event.detail["period"] == "1d")
  }

  @Test func aRetractionCannotBeSentOnceAddressesAreGone() async throws {
    let fixture = try StoreFixture()
    defer { fixture.cleanUp() }
    let id = try await sentMessage(fixture)
    let now = fixture.clock.now() + 3600
    _ = try await fixture.sqlite.applyRetention(before: now, hash: hash, at: now, period: "1h")
    let message = try #require(try await fixture.store.message(id))
    var generator = SystemRandomNumberGenerator()
    let retraction = Retraction.message(
      withdrawing: message, reason: "fejl", sender: Sender(kind: .cli, name: "t", origin: "h"),
      at: now, using: &generator)
    await #expect(throws: StoreError.self) {
      _ = try await fixture.store.cancel(
        Cancellation(
          messageID: id, reason: "fejl", actor: Sender(kind: .cli, name: "t", origin: "h"),
          at: now, retraction: retraction))
    }
  }

  @Test func theKeyFileIsMadeOnceAndPrivate() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "commsd-key-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("retention.key").path
    let key = try RetentionKey.load(path: path)
    #expect(key.count == 32)
    #expect(try RetentionKey.load(path: path) == key)
    let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    #expect(mode == 0o600)
    try "not a key\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: RetentionKey.Failure.self) { try RetentionKey.load(path: path) }
  }

  @Test func theSectionIsCheckedWithFileAndLine() throws {
    func errors(_ section: String) -> [String] {
      do {
        _ = try ConfigurationLoader.parse(
          "data_dir = \"/tmp/x\"\n" + section, file: "/etc/commsd/commsd.toml")
        return []
      } catch {
        return error.errors.map(\.description)
      }
    }
    #expect(
      errors("[retention]\nperiod = \"30m\"\n").first?.contains("commsd.toml:3") == true)
    #expect(errors("[retention]\nperiod = \"30m\"\n").first?.contains("at least 1h") == true)
    #expect(errors("[retention]\nkey_file = \"k\"\n").first?.contains("period") == true)
    let configuration = try ConfigurationLoader.parse(
      "data_dir = \"/tmp/x\"\n[retention]\nperiod = \"180d\"\nkey_file = \"keys/r.key\"\n",
      file: "/etc/commsd/commsd.toml")
    #expect(configuration.retention.period == .seconds(180 * 86_400))
    #expect(configuration.retention.keyFile == "/etc/commsd/keys/r.key")
  }
}
