import Foundation
import Testing

@testable import CommsCore

/// Outcomes are written many to a statement on SQLite (and PostgreSQL), plan
/// rows many to an INSERT, audit events many to an INSERT (issue 25). These
/// hold the batched writes to what one statement per row did: every outcome
/// its own state and event, in order, the chain whole, a lost lease or a
/// repeated outcome skipped, a death's fallback right after its event.
@Suite struct OutcomeChunkTests {
  /// 150 people in audience `many` (more than four plan INSERTs and two
  /// outcome chunks), the last with a second contact.
  static let people: String = (0..<150).map { index in
    """
    [[recipients]]
    id = "p\(index)"
    name = "Person \\\"\(index)\\\""
    audiences = ["many"]
    contacts = [\(index == 149 ? "\"p\(index)@kommune.example\", \"sms:+4533333333\"" : "\"p\(index)@kommune.example\"")]
    """
  }.joined(separator: "\n")

  @Test(arguments: StoreKind.allCases)
  func aChunkOfOutcomesEndsAsOneStatementPerOutcomeDid(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind, more: "[audiences.many]\n" + Self.people)
    defer { fixture.cleanUp() }
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["many"]))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n1", now: now, until: now + 60, limit: 500)
    // Every row the plan's chunked INSERTs wrote, once.
    #expect(leased.count == 150)
    #expect(Set(leased.map(\.recipientID)).count == 150)
    #expect(leased.contains { $0.recipientName == "Person \"7\"" })

    // One lease lost to another node; the person with two contacts dies at
    // their first; one outcome comes twice.
    let lost = try #require(leased.first { $0.recipientID == "p3" })
    try await fixture.execute(
      "UPDATE deliveries SET lease_owner = 'n2' WHERE id = ?", [lost.id.rawValue])
    var records = leased.map { delivery in
      let dies = delivery.recipientID == "p149"
      return AttemptRecord(
        deliveryID: delivery.id, messageID: id, newState: dies ? .dead : .delivered, dueAt: nil,
        at: now, target: "relay:local", statusCode: dies ? 550 : 250,
        error: dies ? "550 no such user" : nil, duration: .milliseconds(5), attempt: 1)
    }
    records.insert(records[100], at: 120)
    #expect(try await fixture.store.record(records, owner: "n1") == 2)

    let status = try #require(try await fixture.store.status(of: id))
    #expect(status.counts == ["delivered": 148, "dead": 1, "sending": 1, "ready": 1])
    // Each written outcome has its event, in the order given, and the
    // fallback follows the death that caused it.
    let events = try await fixture.store.auditEvents(messageID: id).map(\.event)
      .filter { $0.kind.hasPrefix("delivery.") && $0.kind != "delivery.leased" }
    // Neither the lost lease nor the repeat (at 120) writes anything.
    var expected: [(String, DeliveryID)] = []
    for (index, record) in records.enumerated() where index != 120 && record.deliveryID != lost.id {
      expected.append(("delivery.\(record.newState.rawValue)", record.deliveryID))
      if record.newState == .dead { expected.append(("delivery.fallback", record.deliveryID)) }
    }
    #expect(events.map(\.kind) == expected.map(\.0))
    let attemptEvents = zip(events, expected).filter { $0.1.0 != "delivery.fallback" }
    #expect(attemptEvents.allSatisfy { $0.0.deliveryID == $0.1.1 })
    #expect(events.first { $0.kind == "delivery.dead" }?.detail["status"] == "550")
    guard case .intact = try await fixture.store.verifyAudit() else {
      Issue.record("the chain is broken")
      return
    }
  }
}
