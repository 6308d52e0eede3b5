import Synchronization

/// How long attempts took, per endpoint or relay and outcome, as a
/// Prometheus histogram (`commsd_attempt_duration_seconds`). Counted in
/// memory since the start, as Prometheus counters are.
public final class AttemptHistogram: Sendable {
  /// Upper bounds in seconds; the last bucket is +Inf.
  static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

  struct Key: Hashable, Comparable {
    var target: String
    var outcome: String
    static func < (a: Key, b: Key) -> Bool { (a.target, a.outcome) < (b.target, b.outcome) }
  }

  struct Series {
    var buckets = [Int](repeating: 0, count: AttemptHistogram.bounds.count)
    var count = 0
    var sum = 0.0
  }

  private let series = Mutex<[Key: Series]>([:])

  public init() {}

  /// One attempt at `target` (`endpoint:sms`, `relay:local`) that ended as
  /// `outcome` (`delivered`, `retrying`, `dead`).
  public func observe(target: String, outcome: String, seconds: Double) {
    series.withLock { all in
      var entry = all[Key(target: target, outcome: outcome)] ?? Series()
      if let index = Self.bounds.firstIndex(where: { seconds <= $0 }) { entry.buckets[index] += 1 }
      entry.count += 1
      entry.sum += seconds
      all[Key(target: target, outcome: outcome)] = entry
    }
  }

  /// The histogram in Prometheus text format (cumulative buckets).
  var prometheusText: String {
    var text = """
      # HELP commsd_attempt_duration_seconds How long delivery attempts took, per endpoint or relay and outcome.
      # TYPE commsd_attempt_duration_seconds histogram

      """
    let snapshot = series.withLock { $0 }
    for key in snapshot.keys.sorted() {
      let entry = snapshot[key]!
      let labels = "target=\"\(key.target)\",outcome=\"\(key.outcome)\""
      var cumulative = 0
      for (index, bound) in Self.bounds.enumerated() {
        cumulative += entry.buckets[index]
        text += "commsd_attempt_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
      }
      text += "commsd_attempt_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(entry.count)\n"
      text += "commsd_attempt_duration_seconds_sum{\(labels)} \(entry.sum)\n"
      text += "commsd_attempt_duration_seconds_count{\(labels)} \(entry.count)\n"
    }
    return text
  }
}
