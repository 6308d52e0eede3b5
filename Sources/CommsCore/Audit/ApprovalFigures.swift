import Foundation

/// Four eyes in an after-action report: how many audiences waited for
/// approval, what became of them, and how long the decision took (from the
/// request at acceptance to the approval, rejection or timeout). Flash
/// sent without approval is counted apart, so it is never hidden.
public struct ApprovalFigures: Sendable, Codable, Equatable {
  public var requested = 0
  public var approved = 0
  public var rejected = 0
  public var withdrawn = 0
  public var timedOut = 0
  public var waiting = 0
  /// Flash messages that went without approval to an audience that asks for it.
  public var sentWithoutApproval = 0
  /// Seconds from request to decision, ascending, per decided audience.
  public var decisionSeconds: [Double] = []

  enum CodingKeys: String, CodingKey {
    case requested, approved, rejected, withdrawn, waiting
    case timedOut = "timed_out"
    case sentWithoutApproval = "sent_without_approval"
    case decisionSeconds = "decision_seconds"
  }

  public init() {}

  public var median: Double? { Percentile.nearestRank(50, of: decisionSeconds) }
  public var p95: Double? { Percentile.nearestRank(95, of: decisionSeconds) }

  public init(_ records: [ApprovalRecord]) {
    for record in records {
      if record.timedOutAt != nil { timedOut += 1 }
      switch record.state {
      case .bypassed:
        sentWithoutApproval += 1
        continue
      case .pending: waiting += 1
      case .approved: approved += 1
      case .rejected: rejected += 1
      case .withdrawn: withdrawn += 1
      }
      requested += 1
      if record.state == .approved || record.state == .rejected, let latency = record.latency {
        decisionSeconds.append(max(0, latency))
      }
    }
    decisionSeconds.sort()
  }

  /// The table lines of the terminal report (Danish, like the rest).
  public var lines: [String] {
    var lines = [
      "GODKENDELSE (FIRE ØJNE)",
      "til godkendelse \(requested) · godkendt \(approved) · afvist \(rejected) · trukket tilbage \(withdrawn) · venter \(waiting) · tidsfrist overskredet \(timedOut)",
    ]
    if let median, let p95 {
      lines.append(
        "tid til beslutning median \(DurationText.format(.seconds(median.rounded()))) · 95 %-fraktil \(DurationText.format(.seconds(p95.rounded())))"
      )
    }
    if sentWithoutApproval > 0 {
      lines.append("SENDT UDEN GODKENDELSE (flash): \(sentWithoutApproval)")
    }
    return lines
  }
}
