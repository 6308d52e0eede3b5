import Foundation
import Testing

@testable import CommsCore

/// What the operator reads — the dashboard, dead letters and their retry,
/// subject access — the same from either store.
@Suite struct OperatorReadsTests {
  /// Plans a message to staff (Anne by email, Bo by sms then email) and
  /// lets Bo's sms die: his email is the fallback.
  func scenario(_ fixture: StoreFixture) async throws -> MessageID {
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["staff"]))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10)
    let anne = try #require(leased.first { $0.recipientID == "a" })
    let bo = try #require(leased.first { $0.recipientID == "b" })
    func outcome(_ delivery: Delivery, _ state: DeliveryState, status: Int) -> AttemptRecord {
      AttemptRecord(
        deliveryID: delivery.id, messageID: id, newState: state, dueAt: nil, at: now + 1,
        target: "t", statusCode: status, error: state == .dead ? "HTTP 410" : nil,
        duration: .milliseconds(5), attempt: 1)
    }
    _ = try await fixture.store.record(
      [outcome(anne, .delivered, status: 250), outcome(bo, .dead, status: 410)], owner: "n")
    return id
  }

  @Test(arguments: StoreKind.allCases)
  func theDashboardShowsTheLastMessagesWithProgressPerAudience(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let first = try await scenario(fixture)
    fixture.clock.advance(by: 10)
    let second = try await fixture.acceptAndPlan(
      fixture.request(audiences: ["relatives"], subject: "Andet"))
    let recent = try await fixture.store.recentMessages(limit: 5)
    #expect(recent.map(\.id) == [second.rawValue, first.rawValue])
    let staff = try #require(recent.last?.audiences.first)
    #expect(staff.audience == "staff")
    #expect(
      [staff.total, staff.delivered, staff.failed, staff.pending] == [3, 1, 1, 1] as [Int],
      "Anne delivered, Bo's sms dead, his email fallback pending")
    #expect(try await fixture.store.overview(of: second)?.subject == "Andet")
  }

  @Test(arguments: StoreKind.allCases)
  func deadLettersAreListedAndOnlyTheLastContactIsRetried(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await scenario(fixture)
    let dead = try await fixture.store.deadDeliveries(of: id, limit: 10)
    #expect(dead.map(\.recipient) == ["b"])
    #expect(try await fixture.store.deadDeliveries(limit: 10).count == 1)
    // Bo's sms was followed by his email: retrying it would reach him twice.
    #expect(
      try await fixture.store.retryDead(
        id.rawValue, actor: Sender(kind: .cli, name: "op", origin: "h"), at: fixture.clock.now()
      ).isEmpty)
    // His email dies too: now it is his last contact, and it goes again.
    let now = fixture.clock.now() + 2
    let fallback = try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10)
    #expect(fallback.map(\.recipientID) == ["b"])
    _ = try await fixture.store.record(
      [
        AttemptRecord(
          deliveryID: fallback[0].id, messageID: id, newState: .dead, dueAt: nil, at: now,
          target: "local", statusCode: 550, error: "550 no such user", duration: .zero,
          attempt: 1)
      ], owner: "n")
    let retried = try await fixture.store.retryDead(
      id.rawValue, actor: Sender(kind: .cli, name: "op", origin: "h"), at: now)
    #expect(retried == [fallback[0].id.rawValue])
    #expect(
      try await fixture.store.auditEvents(kinds: ["delivery.retried"]).map(\.event.deliveryID)
        == [fallback[0].id])
    #expect(try await fixture.store.status(of: id)?.counts["ready"] == 1)
  }

  /// Retrying a delivery that is not dead is an illegal transition: it is
  /// named and refused, and nothing is written (not even an audit event).
  @Test(arguments: StoreKind.allCases)
  func retryingADeliveryThatIsNotDeadIsRefused(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await scenario(fixture)
    let status = try #require(try await fixture.store.status(of: id))
    let delivered = try #require(status.deliveries.first { $0.state == "delivered" })
    let head = try await fixture.store.auditHead()
    let actor = Sender(kind: .cli, name: "op", origin: "h")
    await #expect(
      throws: StoreError.illegalTransition(.retryDead, id: delivered.id, state: .delivered)
    ) {
      _ = try await fixture.store.retryDead(delivered.id, actor: actor, at: fixture.clock.now())
    }
    #expect(try await fixture.store.auditHead()?.sequence == head?.sequence)
    #expect(try await fixture.store.status(of: id)?.counts == status.counts)
    #expect(
      StoreError.illegalTransition(.retryDead, id: "dlv_1", state: .delivered).description
        == "dlv_1 is delivered: retry-dead moves only a delivery that is dead")
  }

  @Test(arguments: StoreKind.allCases)
  func subjectAccessListsEveryDeliveryToThePerson(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await scenario(fixture)
    let entries = try await fixture.store.subjectAccess(recipient: "b")
    #expect(entries.map(\.messageID) == [id.rawValue, id.rawValue])
    #expect(entries.map(\.channel) == ["webhook", "email"])
    #expect(entries.map(\.state) == ["dead", "ready"])
    #expect(entries.first?.contact == "sms:+4511111111")
  }
}
