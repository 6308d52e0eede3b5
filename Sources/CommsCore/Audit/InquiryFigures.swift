import Foundation

/// The questions that came back in an after-action report: how many, from
/// whom commsd knew, what became of them, and how fast they were answered
/// (from receipt to the answer's acceptance). For one message, the
/// questions about it; for a period, those received in it.
public struct InquiryFigures: Sendable, Codable, Equatable {
  public var received = 0
  /// From senders commsd does not know (no person matched).
  public var unmatched = 0
  public var answered = 0
  public var closed = 0
  public var open = 0
  /// Seconds from receipt to answer, ascending, one per answered inquiry.
  public var answerSeconds: [Double] = []
  /// The ones still open, oldest first: id, when, audience (no names).
  public var stillOpen: [OpenInquiry] = []

  public struct OpenInquiry: Sendable, Codable, Equatable {
    public var id: String
    public var receivedAt: Date
    public var audience: String?

    enum CodingKeys: String, CodingKey {
      case id, audience
      case receivedAt = "received_at"
    }
  }

  enum CodingKeys: String, CodingKey {
    case received, unmatched, answered, closed, open
    case answerSeconds = "answer_seconds"
    case stillOpen = "still_open"
  }

  public init() {}

  public var medianAnswer: Double? { Percentile.nearestRank(50, of: answerSeconds) }
  public var p95Answer: Double? { Percentile.nearestRank(95, of: answerSeconds) }

  /// The figures of `inquiries`.
  public init(_ inquiries: [Inquiry]) {
    for inquiry in inquiries {
      received += 1
      if !inquiry.isMatched { unmatched += 1 }
      switch inquiry.state {
      case .answered:
        answered += 1
        if let at = inquiry.answeredAt {
          answerSeconds.append(max(0, at.timeIntervalSince(inquiry.receivedAt)))
        }
      case .closed: closed += 1
      case .open:
        open += 1
        stillOpen.append(
          OpenInquiry(
            id: inquiry.id.rawValue, receivedAt: inquiry.receivedAt, audience: inquiry.audience))
      }
    }
    answerSeconds.sort()
    stillOpen.sort { $0.receivedAt < $1.receivedAt }
  }

  /// The table lines of the terminal report (Danish, like the rest).
  public var lines: [String] {
    var lines = [
      "SPØRGSMÅL OG SVAR",
      "modtaget \(received) (heraf \(unmatched) fra ukendte afsendere) · besvaret \(answered) · lukket uden svar \(closed) · åbne \(open)",
    ]
    if let median = medianAnswer, let p95 = p95Answer {
      lines.append(
        "svartid median \(DurationText.format(.seconds(median.rounded()))) · 95 %-fraktil \(DurationText.format(.seconds(p95.rounded())))"
      )
    }
    for inquiry in stillOpen.prefix(50) {
      lines.append(
        "  ÅBEN \(inquiry.id) modtaget \(ReportText.time(inquiry.receivedAt)) \(inquiry.audience ?? "ukendt afsender")"
      )
    }
    return lines
  }
}
