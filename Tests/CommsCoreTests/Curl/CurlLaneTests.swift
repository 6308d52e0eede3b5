import Foundation
import Synchronization
import Testing

@testable import CommsCore

/// Transfers in a `TransferLane` against the real HTTP receiver on
/// 127.0.0.1 (Tests/Receivers/http_receiver.py): what the receiver sees of
/// the lane's limit, its order, urgent transfers and withdrawn ones.
@Suite("CurlEngine lanes")
struct CurlLaneTests {
  func post(_ receiver: TestReceiver, _ path: String) -> CurlRequest {
    CurlRequest(
      payload: .httpPost(
        url: "http://127.0.0.1:\(receiver.port)\(path)", headers: [CurlEngineTests.json],
        body: Array("{}".utf8)),
      timeout: .seconds(10))
  }

  /// Starts `orders` in one batch and returns their responses by index.
  func run(
    _ engine: CurlEngine, _ orders: [(CurlRequest, lane: TransferLane?, urgent: Bool, tag: String?)]
  ) async -> [CurlResponse?] {
    let responses = Mutex<[CurlResponse?]>(Array(repeating: nil, count: orders.count))
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
      let left = Mutex(orders.count)
      engine.start(
        orders.enumerated().map { index, order in
          TransferOrder(order.0, lane: order.lane, urgent: order.urgent, tag: order.tag) {
            response in
            responses.withLock { $0[index] = response }
            if left.withLock({ left in
              left -= 1
              return left == 0
            }) {
              done.resume()
            }
          }
        })
    }
    return responses.withLock { $0 }
  }

  @Test func aLaneRunsAtMostItsLimitAtOnceInTheOrderGiven() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let lane = TransferLane(limit: 2)
      let started = ContinuousClock.now
      let responses = await run(
        engine, (0..<8).map { (post(receiver, "/delay/150/\($0)"), lane, false, nil) })
      let elapsed = ContinuousClock.now - started
      await engine.shutdown()

      #expect(responses.map { $0?.statusCode } == Array(repeating: 200, count: 8))
      let received = try receiver.records(as: ReceivedPost.self)
      // Two at a time: four rounds of 150 ms, on two connections at most
      // (all eight at once would open eight and take 150 ms).
      #expect(Set(received.map(\.clientPort)).count <= 2)
      #expect(elapsed >= .milliseconds(550), "8 transfers in a lane of 2 took \(elapsed)")
      // Each starts only once one before it has ended: the n-th to arrive
      // is one of the first n + 1 given.
      let order = received.compactMap { Int($0.path.split(separator: "/").last ?? "") }
      #expect(order.count == 8)
      for (position, index) in order.enumerated() { #expect(index <= position + 1, "\(order)") }
    }
  }

  @Test func anUrgentTransferGoesAheadOfItsLanesWaitingOnes() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let lane = TransferLane(limit: 1)
      var orders = [
        (post(receiver, "/delay/300/first"), lane: Optional(lane), urgent: false, tag: String?.none)
      ]
      orders += (1...3).map { (post(receiver, "/delay/0/bulk\($0)"), lane, false, nil) }
      orders.append((post(receiver, "/delay/0/flash"), lane, true, nil))
      let responses = await run(engine, orders)
      await engine.shutdown()

      #expect(responses.map { $0?.statusCode } == Array(repeating: 200, count: 5))
      let paths = try receiver.records(as: ReceivedPost.self).map(\.path)
      #expect(
        paths == [
          "/delay/300/first", "/delay/0/flash", "/delay/0/bulk1", "/delay/0/bulk2",
          "/delay/0/bulk3",
        ])
    }
  }

  @Test func withdrawingEndsOnlyTheWaitingTransfersOfThatTag() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let lane = TransferLane(limit: 1)
      var orders = (0..<4).map {
        (
          post(receiver, "/delay/400/m\($0)"), lane: Optional(lane), urgent: false,
          tag: Optional("m")
        )
      }
      orders.insert((post(receiver, "/delay/0/other"), lane, false, "other"), at: 2)
      async let answered = run(engine, orders)
      // Once the first is running, the others of "m" wait in the lane.
      let running = try await receiver.eventually {
        try $0.records(as: ReceivedPost.self).count == 1
      }
      try #require(running)
      engine.withdrawWaiting(tagged: ["m"])
      let responses = await answered
      await engine.shutdown()

      // The first was running and goes on; "other" is not withdrawn.
      #expect(responses[0]?.statusCode == 200)
      #expect(responses[0]?.unstarted == nil)
      #expect(responses[2]?.statusCode == 200)
      for index in [1, 3, 4] {
        #expect(responses[index]?.unstarted == .withdrawn)
        #expect(responses[index]?.curlCode == 42)
        #expect(responses[index]?.statusCode == 0)
      }
      let paths = try receiver.records(as: ReceivedPost.self).map(\.path)
      #expect(paths == ["/delay/400/m0", "/delay/0/other"])
    }
  }

  @Test func lanesOfOneEngineKeepTheirOwnLimits() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let narrow = TransferLane(limit: 1)
      let wide = TransferLane(limit: 4)
      let responses = await run(
        engine,
        (0..<4).map { (post(receiver, "/delay/200/wide\($0)"), wide, false, nil) }
          + [(post(receiver, "/delay/200/narrow"), narrow, false, nil)])
      await engine.shutdown()

      #expect(responses.map { $0?.statusCode } == Array(repeating: 200, count: 5))
      // Both lanes had room: all five ran at once, each on its own
      // connection (a shared limit would have reused fewer).
      let ports = Set(try receiver.records(as: ReceivedPost.self).map(\.clientPort))
      #expect(ports.count == 5)
    }
  }

  @Test func afterAFailureTheLanesWaitingTransfersComeBackUnstarted() async throws {
    try await withHTTPReceiver { receiver in
      let engine = CurlEngine()
      let lane = TransferLane(limit: 1)
      let orders =
        [(post(receiver, "/status/429"), lane: Optional(lane), urgent: false, tag: String?.none)]
        + (1...3).map { (post(receiver, "/delay/0/next\($0)"), lane, false, nil) }
      let responses = await run(engine, orders)
      // A lane that got its transfers back takes new ones as before.
      let later = await run(engine, [(post(receiver, "/delay/0/later"), lane, false, nil)])
      await engine.shutdown()

      #expect(responses[0]?.statusCode == 429 && responses[0]?.unstarted == nil)
      for response in responses.dropFirst() {
        #expect(response?.unstarted == .laneStopped)
        #expect(response?.curlCode == 42 && response?.statusCode == 0)
      }
      #expect(later.first??.statusCode == 200)
      let paths = try receiver.records(as: ReceivedPost.self).map(\.path)
      #expect(paths == ["/status/429", "/delay/0/later"])
    }
  }
}
