import Foundation
import Testing

@testable import CommsCore

/// The dispatcher, the recorder and the planner sleep on a `Doorbell`.
/// These hold it to what the loops rely on. Timeouts are real time here
/// (the wait's timer is the clock), kept short and asserted only as "not
/// before".
@Suite struct DoorbellTests {
  @Test func aRingBeforeTheWaitIsKeptAndEndsItAtOnce() async {
    let bell = Doorbell()
    bell.ring()
    let start = ContinuousClock.now
    await bell.wait(timeout: .seconds(30))
    #expect(ContinuousClock.now - start < .seconds(5))
  }

  /// Rings once `bell` has a loop waiting on it (a ring before would be
  /// kept, and the wait would end without ever waiting).
  static func ringWhenWaiting(_ bell: Doorbell) async {
    for _ in 0..<100_000 where !bell.hasWaiter { await Task.yield() }
    #expect(bell.hasWaiter)
    bell.ring()
  }

  @Test func aRingEndsAWaitLongBeforeItsTimeout() async {
    let bell = Doorbell()
    let start = ContinuousClock.now
    async let waited: Void = bell.wait(timeout: .seconds(30))
    await Self.ringWhenWaiting(bell)
    await waited
    #expect(ContinuousClock.now - start < .seconds(5))
  }

  @Test func aWaitEndsWhenItsTimeoutPasses() async {
    let bell = Doorbell()
    let start = ContinuousClock.now
    await bell.wait(timeout: .milliseconds(40))
    #expect(ContinuousClock.now - start >= .milliseconds(40))
  }

  @Test func cancellationEndsAWait() async {
    let bell = Doorbell()
    let task = Task { await bell.wait(timeout: .seconds(30)) }
    for _ in 0..<100_000 where !bell.hasWaiter { await Task.yield() }
    #expect(bell.hasWaiter)
    task.cancel()
    let start = ContinuousClock.now
    await task.value
    #expect(ContinuousClock.now - start < .seconds(5))
  }

  /// A wait that a ring or a cancellation ends takes its deadline out: no
  /// timer is left to fire later for nothing (issue 25: those were about
  /// one context switch in five per email).
  @Test func waitsEndedEarlyLeaveNoDeadlineBehind() async {
    let deadlines = Deadlines()
    let bell = Doorbell(deadlines: deadlines)
    for _ in 0..<50 {
      async let waited: Void = bell.wait(timeout: .seconds(30))
      await Self.ringWhenWaiting(bell)
      await waited
    }
    #expect(deadlines.waiting == 0)
    let task = Task { await bell.wait(timeout: .seconds(30)) }
    for _ in 0..<100_000 where !bell.hasWaiter { await Task.yield() }
    #expect(deadlines.waiting == 1)
    task.cancel()
    await task.value
    #expect(deadlines.waiting == 0)
  }

  /// The deadline of a wait a ring ended ends no later wait on the same
  /// bell, even were it still to fire: the waiter's id must match.
  @Test func anEarlierWaitsDeadlineEndsNoLaterWait() async {
    let bell = Doorbell()
    async let first: Void = bell.wait(timeout: .milliseconds(100))
    await Self.ringWhenWaiting(bell)
    await first
    let start = ContinuousClock.now
    async let second: Void = bell.wait(timeout: .seconds(30))
    try? await Task.sleep(for: .milliseconds(300))
    await Self.ringWhenWaiting(bell)
    await second
    #expect(ContinuousClock.now - start >= .milliseconds(300))
  }
}
