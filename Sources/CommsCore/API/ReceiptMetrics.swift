import Synchronization

/// Receipts taken over `POST /v1/receipts/{endpoint}`, by endpoint and what
/// they did (`delivered`, `undeliverable`, `repeated`, `stale`, `pending`,
/// `not_yet`, `unmatched`), and the latency of those applied (from the
/// gateway's acceptance to the provider's time of the receipt), for
/// `/metrics`. Per process: with several nodes, each counts the callbacks
/// it took.
final class ReceiptMetrics: Sendable {
  private let counts = Mutex<[String: [String: Int]]>([:])
  let latency = DurationHistogram.receiptLatency()

  func count(endpoint: String, outcome: ReceiptOutcome) {
    counts.withLock { $0[endpoint, default: [:]][outcome.name, default: 0] += 1 }
    if case .applied(let state, .some(let latency)) = outcome {
      self.latency.observe(endpoint, state.rawValue, seconds: latency.seconds)
    }
  }

  var prometheusText: String {
    var text = """
      # HELP commsd_receipts_total Handset receipts taken, by endpoint and what they did.
      # TYPE commsd_receipts_total counter

      """
    for (endpoint, outcomes) in counts.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
      for (outcome, count) in outcomes.sorted(by: { $0.key < $1.key }) {
        text +=
          "commsd_receipts_total{endpoint=\"\(HealthController.label(endpoint))\",outcome=\"\(outcome)\"} \(count)\n"
      }
    }
    return text + latency.prometheusText
  }
}
