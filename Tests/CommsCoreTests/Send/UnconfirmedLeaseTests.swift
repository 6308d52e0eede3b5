import Foundation
import Testing

@testable import CommsCore

/// Issue 27: a lease committed whose answer was lost (the primary died
/// while the commit's answer was on its way) leaves deliveries leased to a
/// node that never held them. The dispatcher gives them back at its next
/// turn instead of leaving them for the lease to run out (five minutes by
/// default; here the clock stands still, so without that they would never
/// be sent).
@Suite struct UnconfirmedLeaseTests {
  @Test(arguments: StoreKind.allCases)
  func deliveriesLeasedByACommitWhoseAnswerWasLostAreSentAtOnce(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    _ = try await fixture.acceptAndPlan(fixture.request(audiences: ["staff"]))
    let store = LostLeaseAnswerStore(fixture.store)
    let engine = CurlEngine()
    let (dispatcher, recorder) = fixture.dispatcher(engine: engine, store: store)
    let recording = Task { await recorder.runUntilStopped() }
    let dispatching = Task { await dispatcher.runUntilStopped() }
    // Nothing listens where the fixture's relay and endpoint point: each
    // attempt fails at once and is recorded as one.
    let deadline = ContinuousClock.now + .seconds(20)
    while try await fixture.integers("SELECT COUNT(*) FROM deliveries WHERE attempts > 0") != [2],
      ContinuousClock.now < deadline
    {
      try await Task.sleep(for: .milliseconds(20))
    }
    dispatcher.stop()
    await dispatching.value
    recorder.stop()
    await recording.value
    await engine.shutdown()

    #expect(store.lost.count == 2, "the lost lease took both deliveries")
    #expect(
      try await fixture.integers("SELECT COUNT(*) FROM deliveries WHERE attempts > 0") == [2],
      "both were tried though their first lease had not run out")
    let returned = try await fixture.strings(
      "SELECT detail FROM audit_events WHERE kind = 'delivery.lease_returned'")
    #expect(returned.count == 1, "\(returned)")
    #expect(returned.first?.contains("answer was lost") == true)
    for lost in store.lost {
      #expect(returned.first?.contains(lost.rawValue) == true)
    }
  }
}

/// A store whose first lease is committed but answered with an error, as
/// when the connection breaks while the commit's answer is on its way.
final class LostLeaseAnswerStore: ForwardingStore, @unchecked Sendable {
  private let taken = NSLock()
  private var leasedOnce: [DeliveryID]?

  var lost: [DeliveryID] {
    taken.lock()
    defer { taken.unlock() }
    return leasedOnce ?? []
  }

  override func lease(
    owner: String, now: Date, until: Date, limit: Int, excluding: LeaseExclusion
  ) async throws -> [Delivery] {
    let leased = try await base.lease(
      owner: owner, now: now, until: until, limit: limit, excluding: excluding)
    let first = taken.withLock {
      guard leasedOnce == nil, !leased.isEmpty else { return false }
      leasedOnce = leased.map(\.id)
      return true
    }
    if first { throw PostgresError(sqlState: nil, message: "server closed the connection") }
    return leased
  }
}
