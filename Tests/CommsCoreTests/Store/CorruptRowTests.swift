import Foundation
import Testing

@testable import CommsCore

/// A row the store cannot read — as a hand edit or a damaged file leaves
/// it — is set aside and named; it never stops the queue or the daemon.
@Suite struct CorruptRowTests {
  /// `channel` no commsd knows (both stores) and, on SQLite, whose dynamic
  /// types let it happen, `attempts` holding text: before, the first made
  /// every lease fail and the second trapped in the row reader (the daemon
  /// died). Now the row is quarantined: dead, its error naming the column,
  /// audited; the other deliveries are leased and the chain still verifies.
  @Test(arguments: [
    (StoreKind.sqlite, "channel = 'pigeon'"), (.sqlite, "attempts = 'many'"),
    (.postgres, "channel = 'pigeon'"),
  ])
  func aRowThatCannotBeReadIsQuarantinedAndTheRestGoOn(_ kind: StoreKind, damage: String)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["staff"]))
    try await fixture.execute("UPDATE deliveries SET \(damage) WHERE recipient_id = 'a'")
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10)
    #expect(leased.map(\.recipientID) == ["b"])

    #expect(
      try await fixture.integers(
        "SELECT COUNT(*) FROM deliveries WHERE recipient_id = 'a' AND state = 'dead'") == [1])
    let quarantined = try await fixture.store.auditEvents(kinds: ["delivery.quarantined"])
    #expect(quarantined.count == 1)
    let reason = quarantined.first?.event.detail["reason"] ?? ""
    #expect(
      reason.hasPrefix("the store cannot read this delivery: the store holds data"), "\(reason)")
    // The message's status names the damage (a column it cannot show) or
    // shows the delivery dead; it never traps.
    do {
      let status = try #require(try await fixture.store.status(of: id))
      #expect(status.deliveries.first { $0.recipient == "a" }?.state == "dead")
    } catch let error as StoreError {
      guard case .corrupt = error else { throw error }
    }
    // Set aside once: the next lease neither fails nor takes it again.
    #expect(
      try await fixture.store.lease(owner: "n", now: now + 1, until: now + 61, limit: 10).isEmpty)
    guard case .intact = try await fixture.store.verifyAudit() else {
      Issue.record("the audit chain does not verify")
      return
    }
  }
}
