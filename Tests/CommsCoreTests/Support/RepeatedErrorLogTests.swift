import Foundation
import Logging
import Synchronization
import Testing

@testable import CommsCore

@Suite struct RepeatedErrorLogTests {
  struct StoreAway: Error, CustomStringConvertible {
    var description: String { "connection refused" }
  }

  @Test func anErrorThatRepeatsIsLoggedOnceAndThenWithItsCount() throws {
    let captured = CapturedLines()
    let logger = Logger(label: "test") { _ in CapturingHandler(captured: captured) }
    let start = ContinuousClock.now
    let clock = Mutex(start)
    let log = RepeatedErrorLog(logger: logger, interval: .seconds(10)) {
      clock.withLock { $0 }
    }
    for _ in 0..<50 { log.error("cannot lease deliveries", StoreAway()) }
    log.error("planning failed", StoreAway())
    #expect(
      captured.lines.withLock { $0.map(\.0) } == ["cannot lease deliveries", "planning failed"])
    clock.withLock { $0 = start + .seconds(9) }
    log.error("cannot lease deliveries", StoreAway())
    #expect(captured.lines.withLock { $0.count } == 2)
    clock.withLock { $0 = start + .seconds(10) }
    log.error("cannot lease deliveries", StoreAway())
    let last = try #require(captured.lines.withLock { $0.last })
    #expect(last.0 == "cannot lease deliveries")
    #expect(last.1["repeated"] == "50")
    #expect(last.1["error"] == "connection refused")
  }
}
