import Foundation
import GRDB
import Testing

@testable import CommsCore

/// The audit log's hash chain: whole when untouched, and the first event
/// altered, removed or reordered is named.
@Suite struct AuditChainTests {
  /// A store with a message accepted, planned, leased and one outcome
  /// written: about six events.
  func fixtureWithEvents() async throws -> StoreFixture {
    let fixture = try StoreFixture()
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["staff", "relatives"]))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10)
    try await fixture.store.record(
      leased.map {
        AttemptRecord(
          deliveryID: $0.id, messageID: id, newState: .delivered, dueAt: nil, at: now,
          target: "endpoint:sms", statusCode: 204, error: nil, duration: .milliseconds(3),
          attempt: 1)
      }, owner: "n")
    return fixture
  }

  func tamper(_ fixture: StoreFixture, _ sql: String) async throws {
    try await fixture.sqlite.pool.writeWithoutTransaction { try $0.execute(sql: sql) }
  }

  @Test func anUntouchedLogIsWhole() async throws {
    let fixture = try await fixtureWithEvents()
    defer { fixture.cleanUp() }
    guard case .intact(let events, let sequence, let hash) = try await fixture.store.verifyAudit()
    else {
      Issue.record("not intact")
      return
    }
    #expect(events >= 6)
    #expect(Int64(events) == sequence)
    let head = try #require(try await fixture.store.auditHead())
    #expect(head.sequence == sequence && head.hash == hash)
    #expect(hash.count == 64 && hash != AuditChain.genesis)
  }

  @Test func anAlteredEventIsNamed() async throws {
    let fixture = try await fixtureWithEvents()
    defer { fixture.cleanUp() }
    try await tamper(
      fixture, "UPDATE audit_events SET detail = '{\"status\":\"200\"}' WHERE seq = 4")
    #expect(
      try await fixture.store.verifyAudit()
        == .broken(
          sequence: 4, kind: try kind(fixture, 4),
          reason: "its content was altered (the hash does not match)"))
  }

  @Test func anAlteredEventWithARecomputedHashBreaksTheNextLink() async throws {
    let fixture = try await fixtureWithEvents()
    defer { fixture.cleanUp() }
    // A forger who knows the scheme recomputes the altered event's hash…
    try await fixture.sqlite.pool.write { db in
      let row = try #require(try Row.fetchOne(db, sql: "\(StoreRows.linkColumns) WHERE seq = 3"))
      var link = try StoreRows.link(from: StoredRow(row))
      link.actor = "someone else"
      link.hash = link.expectedHash
      try db.execute(
        sql: "UPDATE audit_events SET actor = ?, hash = ? WHERE seq = 3",
        arguments: [link.actor, link.hash])
    }
    // …and the next event no longer links to it.
    guard case .broken(let sequence, _, let reason) = try await fixture.store.verifyAudit() else {
      Issue.record("not detected")
      return
    }
    #expect(sequence == 4)
    #expect(reason.contains("does not link to event 3"))
  }

  @Test func aRemovedEventIsNamed() async throws {
    let fixture = try await fixtureWithEvents()
    defer { fixture.cleanUp() }
    try await tamper(fixture, "DELETE FROM audit_events WHERE seq = 2")
    guard case .broken(let sequence, _, let reason) = try await fixture.store.verifyAudit() else {
      Issue.record("not detected")
      return
    }
    #expect(sequence == 3)
    #expect(reason == "events 2–2 are missing (removed)")
  }

  @Test func reorderedEventsAreNamed() async throws {
    let fixture = try await fixtureWithEvents()
    defer { fixture.cleanUp() }
    try await tamper(
      fixture,
      """
      UPDATE audit_events SET seq = -1 WHERE seq = 2;
      UPDATE audit_events SET seq = 2 WHERE seq = 3;
      UPDATE audit_events SET seq = 3 WHERE seq = -1;
      """)
    guard case .broken(let sequence, _, _) = try await fixture.store.verifyAudit() else {
      Issue.record("not detected")
      return
    }
    #expect(sequence == 2)
  }

  /// Removing the newest events leaves a whole, shorter chain: only a head
  /// logged earlier shows it.
  @Test func removingTheNewestIsCaughtByALoggedHead() async throws {
    let fixture = try await fixtureWithEvents()
    defer { fixture.cleanUp() }
    let head = try #require(try await fixture.store.auditHead())
    try await tamper(fixture, "DELETE FROM audit_events WHERE seq = \(head.sequence)")
    guard case .intact = try await fixture.store.verifyAudit() else {
      Issue.record("a shorter chain is still whole")
      return
    }
    #expect(try await fixture.store.auditHash(at: head.sequence) == nil)
  }

  func kind(_ fixture: StoreFixture, _ sequence: Int64) throws -> String {
    try fixture.sqlite.pool.read { db in
      try String.fetchOne(
        db, sql: "SELECT kind FROM audit_events WHERE seq = ?", arguments: [sequence]) ?? ""
    }
  }
}
