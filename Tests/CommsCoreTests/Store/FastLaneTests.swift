import Foundation
import Testing

@testable import CommsCore

/// Flash taken by the daemon: accepted, planned and leased in one transaction.
@Suite struct FastLaneTests {
  func flash(_ fixture: StoreFixture, key: String? = nil) throws -> (Message, String, Plan) {
    try fixture.flash(audiences: ["staff", "relatives"], key: key)
  }

  @Test(arguments: StoreKind.allCases) func flashIsAcceptedPlannedAndLeasedAtOnce(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let (message, fingerprint, plan) = try flash(fixture)
    let until = message.acceptedAt + 300
    let (outcome, leased) = try await fixture.store.acceptPlannedAndLeased(
      message, fingerprint: fingerprint, plan: StreamedPlan(plan), owner: "node-1", until: until)
    #expect(outcome == .accepted(message.id))
    #expect(Set(leased.map(\.recipientID)) == ["a", "b", "c"])
    #expect(leased.allSatisfy { $0.state == .sending && $0.priority == .flash })
    #expect(Set(leased.map(\.bulletin)) == [1])
    // Nothing is left for the planner or another lease.
    #expect(try await fixture.store.unplannedMessages(limit: 10, now: .distantFuture).isEmpty)
    let now = fixture.clock.now()
    #expect(
      try await fixture.store.lease(owner: "n2", now: now, until: now + 60, limit: 10).isEmpty)
    let kinds = try await fixture.store.auditEvents(messageID: message.id).map(\.event.kind)
    #expect(kinds == ["message.accepted", "message.planned", "delivery.leased"])
    // The outcomes are written against that lease like any other.
    let status = try #require(try await fixture.store.status(of: message.id))
    #expect(status.counts == ["sending": 3])
  }

  @Test(arguments: StoreKind.allCases) func aRepeatedKeyIsNotPlannedAgain(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let (first, fingerprint, plan) = try flash(fixture, key: "flash-1")
    _ = try await fixture.store.acceptPlannedAndLeased(
      first, fingerprint: fingerprint, plan: StreamedPlan(plan), owner: "node-1",
      until: first.acceptedAt + 300)
    let (second, secondPrint, secondPlan) = try flash(fixture, key: "flash-1")
    let (outcome, leased) = try await fixture.store.acceptPlannedAndLeased(
      second, fingerprint: secondPrint, plan: StreamedPlan(secondPlan), owner: "node-1",
      until: second.acceptedAt + 300)
    #expect(outcome == .duplicate(first.id))
    #expect(leased.isEmpty)
    #expect(try await fixture.store.message(second.id) == nil)
    let status = try #require(try await fixture.store.status(of: first.id))
    #expect(status.deliveries.count == 3)
  }
}
