import Foundation
import Testing

@testable import CommsCore

@Suite struct TargetGateTests {
  let start = Date(timeIntervalSince1970: 1_790_000_000)

  /// Admits transfers as fast as the gate allows over `seconds`, trying
  /// every millisecond; returns the admission times.
  func admissions(_ gate: inout TargetGate, seconds: Double) -> [Date] {
    var times: [Date] = []
    for step in 0..<Int(seconds * 1000) {
      let now = start.addingTimeInterval(Double(step) / 1000)
      while gate.admit(at: now) == nil { times.append(now) }
    }
    return times
  }

  @Test func rateAndBurstBoundEveryOneSecondWindow() {
    var gate = TargetGate(.init(rate: 50, burst: 10))
    let times = admissions(&gate, seconds: 10)
    #expect(times.count >= 500 && times.count <= 510)
    for (index, time) in times.enumerated() {
      let inWindow = times[index...].prefix { $0.timeIntervalSince(time) < 1 }.count
      #expect(inWindow <= 60, "window at \(time.timeIntervalSince(start)) s holds \(inWindow)")
    }
    #expect(times.prefix(10).allSatisfy { $0 == start })  // the burst
  }

  @Test func emptyBucketSaysWhenTheNextTokenComes() {
    var gate = TargetGate(.init(rate: 10, burst: 1))
    #expect(gate.admit(at: start) == nil)
    #expect(gate.admit(at: start) == .rate(until: start.addingTimeInterval(0.1)))
  }

  @Test func retryAfterPausesTheTargetOnly() {
    var gate = TargetGate(.init())
    gate.record(.transient(status: 429, reason: "HTTP 429", retryAfter: .seconds(2)), at: start)
    #expect(
      gate.admit(at: start.addingTimeInterval(1.9)) == .paused(until: start.addingTimeInterval(2)))
    #expect(gate.admit(at: start.addingTimeInterval(2)) == nil)
    var other = TargetGate(.init())
    #expect(other.admit(at: start.addingTimeInterval(1)) == nil)
  }

  /// However long a receiver asks to be left alone, the target is paused
  /// for `max_pause` at most; and flash is not held by the pause at all.
  @Test func aReceiversPauseIsCappedAndDoesNotHoldFlash() {
    var gate = TargetGate(.init(maxPause: .seconds(60)))
    gate.record(
      .transient(status: 503, reason: "HTTP 503", retryAfter: .seconds(86_400)), at: start)
    guard case .paused(let until) = gate.admit(at: start.addingTimeInterval(1)) else {
      Issue.record("the target should be paused")
      return
    }
    #expect(until == start.addingTimeInterval(60))
    #expect(gate.admit(at: start.addingTimeInterval(1), flash: true) == nil)
    #expect(gate.admit(at: start.addingTimeInterval(60)) == nil)
  }

  @Test func breakerOpensAfterFailuresThenLetsOneProbeThrough() {
    var gate = TargetGate(.init(breakerFailures: 3, breakerOpenFor: .seconds(30)))
    let failure = AttemptResult.transient(status: 0, reason: "connection refused", retryAfter: nil)
    for _ in 0..<2 { gate.record(failure, at: start) }
    #expect(gate.admit(at: start) == nil)
    gate.record(failure, at: start)
    #expect(gate.isOpen)
    #expect(
      gate.admit(at: start.addingTimeInterval(29)) == .breaker(until: start.addingTimeInterval(30)))
    // Half-open: one probe, the others wait for it.
    #expect(gate.admit(at: start.addingTimeInterval(30)) == nil)
    #expect(gate.admit(at: start.addingTimeInterval(30)) == .breaker(until: nil))
    // The probe fails: open again for the full time.
    gate.record(failure, at: start.addingTimeInterval(31))
    #expect(
      gate.admit(at: start.addingTimeInterval(60)) == .breaker(until: start.addingTimeInterval(61)))
    // The next probe succeeds: closed.
    #expect(gate.admit(at: start.addingTimeInterval(61)) == nil)
    gate.record(.delivered(status: 204), at: start.addingTimeInterval(61))
    #expect(!gate.isOpen)
    #expect(gate.admit(at: start.addingTimeInterval(61)) == nil)
    #expect(gate.admit(at: start.addingTimeInterval(61)) == nil)
  }

  @Test func aPermanentAnswerMeansTheReceiverIsUp() {
    var gate = TargetGate(.init(breakerFailures: 2))
    gate.record(.transient(status: 503, reason: "HTTP 503", retryAfter: nil), at: start)
    gate.record(.permanent(status: 404, reason: "HTTP 404"), at: start)
    gate.record(.transient(status: 503, reason: "HTTP 503", retryAfter: nil), at: start)
    #expect(!gate.isOpen)
  }
}
