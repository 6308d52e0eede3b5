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

  /// Starts `orders` in one batch, from the caller's task, and returns
  /// their responses by index once all have ended.
  func run(
    _ engine: CurlEngine, _ orders: [(CurlRequest, lane: TransferLane?, urgent: Bool, tag: String?)]
  ) async -> [CurlResponse?] {
    await start(engine, orders).all()
  }

  func start(
    _ engine: CurlEngine, _ orders: [(CurlRequest, lane: TransferLane?, urgent: Bool, tag: String?)]
  ) -> Answers {
    let answers = Answers(count: orders.count)
    engine.start(
      orders.enumerated().map { index, order in
        TransferOrder(order.0, lane: order.lane, urgent: order.urgent, tag: order.tag) {
          answers.complete(index, $0)
        }
      })
    return answers
  }

  /// The responses of a batch, as they come.
  final class Answers: Sendable {
    private struct State {
      var responses: [CurlResponse?]
      var left: Int
      var waiter: CheckedContinuation<Void, Never>?
    }
    private let state: Mutex<State>

    init(count: Int) {
      state = Mutex(State(responses: Array(repeating: nil, count: count), left: count))
    }

    func complete(_ index: Int, _ response: CurlResponse) {
      let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
        state.responses[index] = response
        state.left -= 1
        return state.left == 0 ? state.waiter.take() : nil
      }
      waiter?.resume()
    }

    /// The responses in so far (nil: not ended yet).
    var sofar: [CurlResponse?] { state.withLock { $0.responses } }

    func all() async -> [CurlResponse?] {
      await withCheckedContinuation { continuation in
        let done = state.withLock { state in
          if state.left > 0 { state.waiter = continuation }
          return state.left == 0
        }
        if done { continuation.resume() }
      }
      return state.withLock { $0.responses }
    }
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
      // The first of "m" runs for 5 s; the others are given while it runs,
      // with a probe outside the lane: once the probe is answered, the
      // engine has taken them all, so they wait in the lane.
      let first = start(engine, [(post(receiver, "/delay/5000/m0"), lane, false, "m")])
      let rest = start(
        engine,
        [
          (post(receiver, "/delay/0/m1"), lane, false, "m"),
          (post(receiver, "/delay/0/other"), lane, false, "other"),
          (post(receiver, "/delay/0/m2"), lane, false, "m"),
          (post(receiver, "/delay/0/m3"), lane, false, "m"),
        ])
      let probe = await run(engine, [(post(receiver, "/delay/0/probe"), nil, false, nil)])
      engine.withdrawWaiting(tagged: ["m"])
      let waited = await rest.all()
      let ran = await first.all()
      await engine.shutdown()

      // The first was running and goes on; "other" is not withdrawn.
      #expect(probe.first??.statusCode == 200)
      #expect(ran.first??.statusCode == 200 && ran.first??.unstarted == nil)
      #expect(waited[1]?.statusCode == 200 && waited[1]?.unstarted == nil)
      for index in [0, 2, 3] {
        #expect(waited[index]?.unstarted == .withdrawn)
        #expect(waited[index]?.curlCode == 42)
        #expect(waited[index]?.statusCode == 0)
      }
      let paths = try receiver.records(as: ReceivedPost.self).map(\.path)
      // The probe and the first run on their own connections: either may
      // be read first.
      #expect(paths.count == 3)
      #expect(Set(paths) == ["/delay/5000/m0", "/delay/0/probe", "/delay/0/other"])
      #expect(paths.last == "/delay/0/other")
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
