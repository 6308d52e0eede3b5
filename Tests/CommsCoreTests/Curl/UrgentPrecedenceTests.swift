import Foundation
import Testing

@testable import CommsCore

/// Flash first across lanes (`UrgentPrecedence`): the rule with given
/// instants, then the engine against the real HTTP receiver on 127.0.0.1.
@Suite("Urgent precedence")
struct UrgentPrecedenceTests {
  let start = ContinuousClock.now

  @Test func nothingHoldsTheLanesUntilAnUrgentTransferStarts() {
    var precedence = UrgentPrecedence(bound: .milliseconds(100))
    #expect(!precedence.holdsNonUrgent(at: start))
    precedence.urgentStarted(at: start)
    #expect(precedence.holdsNonUrgent(at: start + .milliseconds(99)))
    precedence.urgentEnded()
    #expect(!precedence.holdsNonUrgent(at: start + .milliseconds(1)))
    #expect(precedence.until == nil)
  }

  @Test func theLanesWaitForTheLastUrgentTransferButNoLongerThanTheBound() {
    var precedence = UrgentPrecedence(bound: .milliseconds(100))
    precedence.urgentStarted(at: start)
    precedence.urgentStarted(at: start + .milliseconds(50))
    precedence.urgentEnded()
    // One still runs: held, counted from the latest start.
    #expect(precedence.holdsNonUrgent(at: start + .milliseconds(120)))
    // A receiver that does not answer holds the bulk no longer than the bound.
    #expect(!precedence.holdsNonUrgent(at: start + .milliseconds(150)))
    precedence.urgentEnded()
    #expect(precedence.until == nil)
    // More ends than starts (never expected) do not go below zero.
    precedence.urgentEnded()
    #expect(precedence.urgentRunning == 0)
  }

  @Test func aHoldKeepsTheLanesWaitingUntilItEndsOrItsBoundPasses() {
    var precedence = UrgentPrecedence(bound: .milliseconds(100))
    precedence.holds(since: start)
    #expect(precedence.holdsNonUrgent(at: start + .milliseconds(99)))
    #expect(!precedence.holdsNonUrgent(at: start + .milliseconds(100)))
    precedence.holds(since: nil)
    #expect(!precedence.holdsNonUrgent(at: start + .milliseconds(1)))
    // The later of a hold and an urgent transfer decides.
    precedence.holds(since: start)
    precedence.urgentStarted(at: start + .milliseconds(60))
    #expect(precedence.until == start + .milliseconds(160))
  }

  // MARK: The engine

  let lanes = CurlLaneTests()

  @Test func bulkInALaneWaitsWhileAnUrgentTransferRuns() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine(urgentPrecedence: .seconds(5))
      let flash = lanes.start(
        engine, [(lanes.post(receiver, "/delay/400/flash"), TransferLane(limit: 1), true, nil)])
      let running = try await receiver.eventually {
        try $0.records(as: ReceivedPost.self).count == 1
      }
      #expect(running)
      let bulkLane = TransferLane(limit: 4)
      let bulk = await lanes.run(
        engine, (1...3).map { (lanes.post(receiver, "/delay/0/bulk\($0)"), bulkLane, false, nil) })
      // The bulk started only once the flash transfer had ended: without
      // the precedence it would be answered about 400 ms before it.
      let flashWhenBulkEnded = flash.sofar
      await engine.shutdown()

      #expect(bulk.map { $0?.statusCode } == [200, 200, 200])
      #expect(flashWhenBulkEnded.first??.statusCode == 200)
      let paths = try receiver.records(as: ReceivedPost.self).map(\.path)
      #expect(paths.first == "/delay/400/flash" && paths.count == 4)
    }
  }

  @Test func anUrgentTransferThatIsNotAnsweredHoldsBulkOnlyForTheBound() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine(urgentPrecedence: .milliseconds(300))
      let began = ContinuousClock.now
      let flash = lanes.start(
        engine, [(lanes.post(receiver, "/delay/4000/hung"), TransferLane(limit: 1), true, nil)])
      let running = try await receiver.eventually {
        try $0.records(as: ReceivedPost.self).count == 1
      }
      #expect(running)
      let bulk = await lanes.run(
        engine, [(lanes.post(receiver, "/delay/0/bulk"), TransferLane(limit: 2), false, nil)])
      let elapsed = ContinuousClock.now - began
      let flashWhenBulkEnded = flash.sofar
      let flashAnswer = await flash.all()
      await engine.shutdown()

      #expect(bulk.first??.statusCode == 200)
      // It waited for the bound, not for the flash transfer's 4 s.
      #expect(elapsed >= .milliseconds(300), "bulk ended after \(elapsed)")
      #expect(flashWhenBulkEnded.allSatisfy { $0 == nil })
      #expect(flashAnswer.first??.statusCode == 200)
    }
  }

  @Test func aHoldKeepsBulkWaitingInItsLaneUntilTheBodyReturns() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine(urgentPrecedence: .seconds(5))
      let lane = TransferLane(limit: 4)
      let (bulk, duringHold) = await engine.holdingNonUrgent {
        let bulk = lanes.start(
          engine, (1...3).map { (lanes.post(receiver, "/delay/0/bulk\($0)"), lane, false, nil) })
        // Outside any lane, so not held: by its answer, 300 ms later, the
        // bulk would long have been answered without the hold.
        let probe = await lanes.run(
          engine, [(lanes.post(receiver, "/delay/300/probe"), nil, false, nil)])
        #expect(probe.first??.statusCode == 200)
        return (bulk, bulk.sofar)
      }
      let after = await bulk.all()
      await engine.shutdown()

      #expect(duringHold.allSatisfy { $0 == nil })
      #expect(after.map { $0?.statusCode } == [200, 200, 200])
      let paths = try receiver.records(as: ReceivedPost.self).map(\.path)
      #expect(paths.first == "/delay/300/probe" && paths.count == 4)
    }
  }
}
