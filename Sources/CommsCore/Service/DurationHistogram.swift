import Synchronization

/// How long something took, per two labels, as a Prometheus histogram.
/// Counted in memory since the start, as Prometheus counters are.
///
/// Two are kept: attempts per endpoint or relay and outcome
/// (`commsd_attempt_duration_seconds`, `attempts`) and the time from a
/// gateway's acceptance to its handset receipt per endpoint and result
/// (`commsd_receipt_latency_seconds`, `receiptLatency`).
public final class DurationHistogram: Sendable {
  /// Upper bounds in seconds; the last bucket is +Inf.
  let bounds: [Double]
  let name: String
  let help: String
  let labels: (String, String)

  struct Key: Hashable, Comparable {
    var first: String
    var second: String
    static func < (a: Key, b: Key) -> Bool { (a.first, a.second) < (b.first, b.second) }
  }

  struct Series {
    var buckets: [Int]
    var count = 0
    var sum = 0.0
  }

  private let series = Mutex<[Key: Series]>([:])

  init(name: String, help: String, labels: (String, String), bounds: [Double]) {
    self.name = name
    self.help = help
    self.labels = labels
    self.bounds = bounds
  }

  /// Delivery attempts: from 5 ms to 30 s.
  public static func attempts() -> DurationHistogram {
    DurationHistogram(
      name: "commsd_attempt_duration_seconds",
      help: "How long delivery attempts took, per endpoint or relay and outcome.",
      labels: ("target", "outcome"),
      bounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
  }

  /// Handset receipts: from a second to a day (operators phone off overnight).
  public static func receiptLatency() -> DurationHistogram {
    DurationHistogram(
      name: "commsd_receipt_latency_seconds",
      help:
        "From the gateway's acceptance to the handset receipt (provider's time), per endpoint and result.",
      labels: ("endpoint", "result"),
      bounds: [1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 14400, 86400])
  }

  /// One observation for `first` and `second` (`endpoint:sms`, `delivered`).
  public func observe(_ first: String, _ second: String, seconds: Double) {
    guard seconds.isFinite else { return }
    let key = Key(first: first, second: second)
    series.withLock { all in
      var entry = all[key] ?? Series(buckets: [Int](repeating: 0, count: bounds.count))
      if let index = bounds.firstIndex(where: { seconds <= $0 }) { entry.buckets[index] += 1 }
      entry.count += 1
      entry.sum += seconds
      all[key] = entry
    }
  }

  /// The histogram in Prometheus text format (cumulative buckets).
  var prometheusText: String {
    var text = """
      # HELP \(name) \(help)
      # TYPE \(name) histogram

      """
    let snapshot = series.withLock { $0 }
    for key in snapshot.keys.sorted() {
      guard let entry = snapshot[key] else { continue }
      let labels =
        "\(labels.0)=\"\(HealthController.label(key.first))\",\(labels.1)=\"\(HealthController.label(key.second))\""
      var cumulative = 0
      for (index, bound) in bounds.enumerated() {
        cumulative += entry.buckets[index]
        text += "\(name)_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
      }
      text += "\(name)_bucket{\(labels),le=\"+Inf\"} \(entry.count)\n"
      text += "\(name)_sum{\(labels)} \(entry.sum)\n"
      text += "\(name)_count{\(labels)} \(entry.count)\n"
    }
    return text
  }
}
