import Foundation
import Synchronization
import Testing

@testable import CommsCore

/// The deadline thread behind `Doorbell.wait(timeout:)`. Real time, kept
/// short; "on time" is asserted only as far below the later deadline.
@Suite struct DeadlinesTests {
  /// Waits until `deadlines` fires what `schedule` scheduled; the time it took.
  static func fired(_ schedule: (@escaping @Sendable () -> Void) -> Void) async -> Duration {
    let start = ContinuousClock.now
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      schedule { continuation.resume() }
    }
    return ContinuousClock.now - start
  }

  /// The thread sleeps until the earliest deadline it knows of: a new, earlier
  /// one must wake it, or it would wait out the later one first.
  @Test func anEarlierDeadlineIsNotHeldBackByALaterOne() async {
    let deadlines = Deadlines()
    let late = deadlines.schedule(after: .seconds(60)) {}
    // Let the thread go to sleep until the late deadline.
    try? await Task.sleep(for: .milliseconds(20))
    let took = await Self.fired { fire in _ = deadlines.schedule(after: .milliseconds(30), fire) }
    #expect(took >= .milliseconds(30))
    #expect(took < .seconds(10))
    deadlines.cancel(late)
    #expect(deadlines.waiting == 0)
  }

  @Test func aCancelledDeadlineDoesNotFire() async {
    let deadlines = Deadlines()
    let fired = Atomic<Int>(0)
    let token = deadlines.schedule(after: .milliseconds(20)) { fired.add(1, ordering: .relaxed) }
    deadlines.cancel(token)
    // A later deadline fires; the cancelled one, due before it, must not have.
    _ = await Self.fired { fire in _ = deadlines.schedule(after: .milliseconds(60), fire) }
    #expect(fired.load(ordering: .relaxed) == 0)
  }

  @Test func deadlinesFireInTheirOrder() async {
    let deadlines = Deadlines()
    let order = Mutex<[Int]>([])
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      for (index, milliseconds) in [50, 10, 30].enumerated() {
        _ = deadlines.schedule(after: .milliseconds(milliseconds)) {
          let done = order.withLock { order -> Bool in
            order.append(index)
            return order.count == 3
          }
          if done { continuation.resume() }
        }
      }
    }
    #expect(order.withLock { $0 } == [1, 2, 0])
  }

  /// Timeouts come from configuration (`poll_interval`) and from durations
  /// worked out at run time: none may trap.
  @Test func durationsOutsideTheClockAreBounded() {
    #expect(Deadlines.nanoseconds(.milliseconds(1500)) == 1_500_000_000)
    #expect(Deadlines.nanoseconds(.nanoseconds(7)) == 7)
    #expect(Deadlines.nanoseconds(.zero) == 0)
    #expect(Deadlines.nanoseconds(.seconds(-3)) == 0)
    #expect(Deadlines.nanoseconds(.seconds(Int64.max)) == .max)
    #expect(Deadlines.nanoseconds(.seconds(18_446_744_074)) == .max)
    let deadlines = Deadlines()
    let token = deadlines.schedule(after: .seconds(Int64.max)) {}
    #expect(deadlines.waiting == 1)
    deadlines.cancel(token)
  }
}
