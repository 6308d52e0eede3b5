import Foundation
import Testing

@testable import CommsCore

/// A deterministic generator (SplitMix64) so jitter is tested without chance.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite struct RetryPolicyTests {
  let start = Date(timeIntervalSince1970: 1_790_000_000)

  @Test func defaultScheduleDoublesFromFiveSecondsUpToThirtyMinutes() {
    let policy = RetryPolicy()
    let delays = (1...12).map { policy.baseDelay(afterAttempt: $0) }
    #expect(
      delays
        == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 1800, 1800, 1800].map { Duration.seconds($0) })
  }

  @Test func withoutJitterNextAttemptIsExactlyTheBackoff() {
    let policy = RetryPolicy(jitter: 0)
    var generator = SeededGenerator(state: 1)
    let next = policy.nextAttempt(afterAttempt: 3, now: start, createdAt: start, using: &generator)
    #expect(next == start.addingTimeInterval(20))
  }

  @Test func jitterStaysWithinItsBoundsAndVaries() {
    let policy = RetryPolicy(jitter: 0.2)
    var generator = SeededGenerator(state: 42)
    let delays = (0..<200).compactMap {
      _ in
      policy.nextAttempt(afterAttempt: 1, now: start, createdAt: start, using: &generator)?
        .timeIntervalSince(start)
    }
    #expect(delays.count == 200)
    #expect(delays.allSatisfy { (4.0...6.0).contains($0) })
    #expect(Set(delays).count > 150)
  }

  @Test func retryAfterIsALowerBound() {
    let policy = RetryPolicy(jitter: 0)
    var generator = SeededGenerator(state: 1)
    let next = policy.nextAttempt(
      afterAttempt: 1, now: start, createdAt: start, retryAfter: .seconds(120), using: &generator)
    #expect(next == start.addingTimeInterval(120))
  }

  @Test func hostileRetryAfterIsCappedAtMaxDelay() {
    let policy = RetryPolicy(jitter: 0)
    var generator = SeededGenerator(state: 1)
    let next = policy.nextAttempt(
      afterAttempt: 1, now: start, createdAt: start, retryAfter: .seconds(86_400 * 30),
      using: &generator)
    #expect(next == start.addingTimeInterval(1800))
  }

  @Test func givesUpAfterTwentyFourHours() {
    let policy = RetryPolicy(jitter: 0)
    var generator = SeededGenerator(state: 1)
    let almost = start.addingTimeInterval(86_400 - 1800)
    #expect(
      policy.nextAttempt(afterAttempt: 20, now: almost, createdAt: start, using: &generator) != nil)
    let late = start.addingTimeInterval(86_400 - 1799)
    #expect(
      policy.nextAttempt(afterAttempt: 20, now: late, createdAt: start, using: &generator) == nil)
  }
}
