import Foundation
import Logging
import Testing

@testable import CommsCore

/// The recorder's outcomes that are known but not yet written: their
/// deliveries are still `sending`, so their leases must be kept (the
/// dispatcher renews them with the ones it holds). A recorder behind a slow
/// store once let them run out on PostgreSQL, and the survivor of a
/// two-node run sent thousands twice.
@Suite struct RecorderTests {
  @Test func outcomesNotYetWrittenAreListedAndTheirLeasesCanBeKept() async throws {
    let fixture = try StoreFixture(.sqlite)
    defer { fixture.cleanUp() }
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["staff"]))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n1", now: now, until: now + 60, limit: 10)
    #expect(leased.count == 2)
    let held = HeldRecordStore(fixture.store)
    let recorder = Recorder(
      store: held, owner: "n1", policy: RetryPolicy(), clock: fixture.clock, batchLimit: 1,
      written: Doorbell(), logger: Logger(label: "test"))
    var generator = SystemRandomNumberGenerator()
    for delivery in leased {
      recorder.add(
        recorder.makeRecord(
          for: delivery, result: .delivered(status: 204), duration: .zero, target: "relay:local",
          using: &generator))
    }
    #expect(Set(recorder.unwritten) == Set(leased.map(\.id)))
    let flushing = Task { await recorder.flush() }
    // The first batch is being written (and waits); the second is queued.
    await held.entered()
    #expect(Set(recorder.unwritten) == Set(leased.map(\.id)))
    #expect(recorder.backlog == 2)
    // Renewing what the recorder holds keeps the leases past their first end.
    let renewed = try await fixture.store.renewLeases(
      recorder.unwritten, owner: "n1", until: now + 120, at: now + 30)
    #expect(renewed == Set(leased.map(\.id)))
    #expect(try await fixture.store.reclaimLeases(now: now + 61, all: false) == 0)
    held.open()
    await flushing.value
    #expect(recorder.unwritten.isEmpty)
    #expect(recorder.backlog == 0)
    #expect(try await fixture.store.status(of: id)?.counts == ["delivered": 2])
  }
}

/// A store whose first `record` waits until `open()`: a recorder running
/// behind. Everything else goes to `base`.
final class HeldRecordStore: ForwardingStore, @unchecked Sendable {
  private let gate = AsyncStream<Void>.makeStream()
  private let entry = AsyncStream<Void>.makeStream()

  /// Returns once a `record` call is waiting.
  func entered() async { for await _ in entry.stream { return } }

  func open() { gate.continuation.finish() }

  override func record(_ outcomes: [AttemptRecord], owner: String) async throws -> Int {
    entry.continuation.yield()
    for await _ in gate.stream {}
    return try await base.record(outcomes, owner: owner)
  }
}
