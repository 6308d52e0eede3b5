import Foundation
import Synchronization
import Testing

@testable import CommsCore

/// A monotonic clock a test moves by hand.
final class TestInstants: Sendable {
  private let current = Mutex(ContinuousClock.now)
  var now: ContinuousClock.Instant { current.withLock { $0 } }
  func advance(by duration: Duration) { current.withLock { $0 += duration } }
}

/// What keeps floods cheap: the refusal ledger, the metrics cache, and the
/// `[api]` limits in the configuration.
///
/// A class, so that each test's store (a folder of its own) is removed when
/// the test ends.
@Suite final class APIHardeningTests {
  private let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("commsd-ledger-\(UUID().uuidString)")

  deinit { try? FileManager.default.removeItem(at: directory) }

  func ledger(_ instants: TestInstants, perWindow: Int = 100, maxAddresses: Int = 1000)
    throws -> RefusalLedger
  {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("commsd.sqlite").path
    return RefusalLedger(
      store: try SQLiteStore(path: path), clock: SystemClock(), logger: .init(label: "test"),
      perAddress: 3, perWindow: perWindow, maxAddresses: maxAddresses, now: { instants.now })
  }

  @Test func aFloodFromOneAddressIsWrittenThreeTimesThenCountedInOneSummary() throws {
    let instants = TestInstants()
    let ledger = try ledger(instants)
    let written = (0..<1000).filter { index in
      ledger.admit("10.0.0.9", status: index < 30 ? 401 : 429)
    }
    #expect(written == [0, 1, 2])
    #expect(ledger.takeEnded().isEmpty)  // the window is still open
    instants.advance(by: .seconds(61))
    let summaries = ledger.takeEnded()
    #expect(summaries.count == 1)
    let summary = try #require(summaries.first)
    #expect(summary.kind == "request.refused.repeated")
    #expect(summary.actor == "api:anonymous@10.0.0.9")
    #expect(summary.detail["count"] == "1000")
    #expect(summary.detail["not_written"] == "997")
    #expect(summary.detail["statuses"] == "401:30,429:970")
    #expect(ledger.takeEnded(all: true).isEmpty)
    // A new window writes again.
    #expect(ledger.admit("10.0.0.9", status: 401))
  }

  @Test func manyAddressesCostAtMostTheWindowsSingleWritesAndOneBatch() throws {
    let instants = TestInstants()
    let ledger = try ledger(instants, perWindow: 10, maxAddresses: 50)
    var written = 0
    for index in 0..<5000 where ledger.admit("10.1.\(index / 256).\(index % 256)", status: 401) {
      written += 1
    }
    #expect(written == 10)
    let summaries = ledger.takeEnded(all: true)
    #expect(summaries.count == 41)  // 40 tracked addresses with a count, and the rest together
    let total = summaries.compactMap { Int($0.detail["count"] ?? "") }.reduce(0, +)
    #expect(written + total == 5000)  // every refusal accounted for
    #expect(
      summaries.contains {
        $0.actor.hasSuffix("@other addresses") && $0.detail["count"] == String(5000 - 50)
      })
  }

  @Test func metricCountsAreMadeOncePerIntervalWhateverTheDemand() async throws {
    let instants = TestInstants()
    let cache = OncePerInterval<Int>(interval: .seconds(10), now: { instants.now })
    let made = Atomic<Int>(0)
    let make: @Sendable () async throws -> Int = {
      try await Task.sleep(for: .milliseconds(50))  // a slow store: callers pile up meanwhile
      return made.add(1, ordering: .relaxed).newValue
    }
    let values = try await withThrowingTaskGroup(of: Int.self) { group in
      for _ in 0..<50 { group.addTask { try await cache.value(make) } }
      return try await group.reduce(into: [Int]()) { $0.append($1) }
    }
    #expect(made.load(ordering: .relaxed) == 1)
    #expect(Set(values) == [1])
    instants.advance(by: .seconds(9))
    #expect(try await cache.value(make) == 1)
    instants.advance(by: .seconds(2))
    #expect(try await cache.value(make) == 2)
    #expect(made.load(ordering: .relaxed) == 2)
  }

  static let base = """
    data_dir = "/tmp/x"
    [audiences.staff]

    """

  @Test func connectionLimitsHaveSafeDefaultsAndBoundedValues() throws {
    let defaults = try #require(
      try ConfigurationLoader.parse(Self.base + "[api]\n", file: "/etc/commsd/commsd.toml").api)
    #expect(defaults.idleTimeout == .seconds(30))
    #expect(defaults.maxConnections == 512)
    #expect(defaults.tlsHandshakeTimeout == .seconds(10))
    #expect(!defaults.metricsPublic)
    let set = try #require(
      try ConfigurationLoader.parse(
        Self.base
          + "[api]\nidle_timeout = \"5s\"\nmax_connections = 64\ntls_handshake_timeout = \"3s\"\nmetrics_public = true\n",
        file: "/etc/commsd/commsd.toml"
      ).api)
    #expect(set.idleTimeout == .seconds(5) && set.maxConnections == 64)
    #expect(set.tlsHandshakeTimeout == .seconds(3) && set.metricsPublic)
    do {
      _ = try ConfigurationLoader.parse(
        Self.base
          + "[api]\nidle_timeout = \"0s\"\nmax_connections = 99999999999\ntls_handshake_timeout = \"1h\"\n",
        file: "/etc/commsd/commsd.toml")
      Issue.record("out-of-range limits were taken")
    } catch {
      let text = error.errors.map(\.description)
      #expect(
        text.contains {
          $0.contains("commsd.toml:4") && $0.contains("api.idle_timeout")
            && $0.contains("from 1s to 1h")
        }, "\(text)")
      #expect(text.contains { $0.contains("commsd.toml:5") && $0.contains("api.max_connections") })
      #expect(
        text.contains { $0.contains("api.tls_handshake_timeout") && $0.contains("from 1s to 5m") })
    }
  }

  @Test func aDurationTooLongForAnyClockIsRefusedNotTrapped() {
    #expect(DurationText.parse("99999999999999999999d") == nil)
    #expect(DurationText.parse("30s") == .seconds(30))
  }
}
