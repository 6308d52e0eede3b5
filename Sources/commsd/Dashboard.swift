import CommsCore
import Foundation

/// The operator's views of progress: the dashboard of the last messages
/// (`commsd status`) and the live bars of `commsd send --wait`.
enum Dashboard {
  typealias Overview = MessageOverview

  /// One block per message, one line per audience.
  static func render(_ messages: [Overview]) -> String {
    guard !messages.isEmpty else { return "no messages yet\n" }
    var rows = [
      [
        "MESSAGE", "ACCEPTED", "PRIORITY", "AUDIENCE", "DELIVERED", "NO RECEIPT", "HELD", "FAILED",
        "PENDING", "WITHDRAWN", "CONFIRMED", "SUBJECT",
      ]
    ]
    for message in messages {
      let audiences = message.audiences.isEmpty ? [nil] : message.audiences.map { Optional($0) }
      for (index, progress) in audiences.enumerated() {
        let first = index == 0
        rows.append([
          first ? message.id : "", first ? LocalTime.format(message.acceptedAt) : "",
          first ? message.priority : "", progress?.audience ?? "-",
          progress.map { "\($0.delivered)/\($0.total)" }
            ?? (message.planned
              ? "0/0"
              : message.notBefore.map { "until \(LocalTime.format($0).suffix(8))" } ?? "planning"),
          progress.map { String($0.awaitingReceipt + $0.unconfirmed) } ?? "",
          progress.map { String($0.held) } ?? "", progress.map { String($0.failed) } ?? "",
          progress.map { String($0.pending) } ?? "", progress.map { String($0.withdrawn) } ?? "",
          first ? message.confirmation.map(confirmedCell) ?? "" : "",
          first ? message.subject + (message.cancelled ? " (cancelled)" : "") : "",
        ])
      }
    }
    return table(rows)
  }

  /// `31/35` (confirmed in time and late, of the people), `+w2` when waves went.
  static func confirmedCell(_ progress: ConfirmationProgress) -> String {
    "\(progress.confirmed + progress.late)/\(progress.people)"
      + (progress.waves > 0 ? " +w\(progress.waves + 1)" : "")
  }

  /// `confirmed 31 of 35 (1 late) by 12:30 · wave 2 to 3 · next wave 12:30`.
  static func confirmationLine(_ progress: ConfirmationProgress) -> String {
    var line =
      "confirmed \(progress.confirmed + progress.late) of \(progress.people)"
      + (progress.late > 0 ? " (\(progress.late) late)" : "")
      + " · deadline \(LocalTime.format(progress.deadline))"
    if progress.waves > 0 {
      line +=
        " · \(progress.waves) wave\(progress.waves == 1 ? "" : "s") sent to \(progress.waveDeliveries)"
    }
    if let next = progress.nextWaveAt { line += " · next wave \(LocalTime.format(next))" }
    return line
  }

  static func table(_ rows: [[String]]) -> String {
    let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
      zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
        .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n") + "\n"
  }

  /// One progress line per audience: `relatives  [████████░░░░]  12/13 delivered · 1 held`.
  static func bars(_ message: Overview, width: Int = 24) -> [String] {
    let name = message.audiences.map(\.audience.count).max() ?? 0
    let confirmation = message.confirmation.map { [confirmationLine($0)] } ?? []
    return confirmation
      + message.audiences.map { progress in
        let done = progress.total - progress.pending - progress.held - progress.awaitingReceipt
        let filled = progress.total == 0 ? width : width * done / progress.total
        var line =
          progress.audience.padding(toLength: name, withPad: " ", startingAt: 0) + "  ["
          + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
          + "]  \(progress.delivered)/\(progress.total) delivered"
        if progress.awaitingReceipt > 0 {
          line += " · \(progress.awaitingReceipt) awaiting a handset receipt"
        }
        if progress.unconfirmed > 0 { line += " · \(progress.unconfirmed) no receipt" }
        if progress.held > 0 { line += " · \(progress.held) held" }
        if progress.failed > 0 { line += " · \(progress.failed) failed" }
        if progress.withdrawn > 0 { line += " · \(progress.withdrawn) withdrawn" }
        if progress.pending > 0 { line += " · \(progress.pending) on the way" }
        return line
      }
  }

  /// The whole queue in one line: waiting per lane, messages not yet
  /// planned (when any), held by reason, dead letters.
  static func summary(_ counts: StoreMetricCounts) -> String {
    let lanes = Priority.allCases.map { "\($0.rawValue) \(counts.queueByLane[$0.lane] ?? 0)" }
    let held =
      counts.heldByReason.isEmpty
      ? "none"
      : counts.heldByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        .joined(separator: ", ")
    let dead = counts.deliveries.filter { $0.state == "dead" }.reduce(0) { $0 + $1.count }
    // Messages not yet planned only when there are any: a planner behind.
    let unplanned = counts.unplanned
    let toPlan =
      unplanned > 0 ? " · to plan: \(unplanned) message\(unplanned == 1 ? "" : "s")" : ""
    return
      "\nqueue: \(lanes.joined(separator: ", "))\(toPlan) · held: \(held) · dead letters: \(dead)"
  }

  /// "awaiting approval: msg_… for citizens since 15:28 (12m), from
  /// Politiets vagtchef, Kriseleder; asked 3 times" — what waits for whom.
  static func awaiting(_ record: ApprovalRecord, now: Date) -> String {
    let waited = DurationText.format(.wholeSeconds(now.timeIntervalSince(record.requestedAt)))
    let voted = Set(record.votes.map(\.approver))
    let whom = record.approvers.filter { !voted.contains($0.id) }.map(\.name)
    return "awaiting approval: \(record.messageID) for \(record.audience) since "
      + "\(LocalTime.format(record.requestedAt)) (\(waited)), from \(whom.joined(separator: ", "))"
      + "; asked \(record.reminders) time\(record.reminders == 1 ? "" : "s")"
      + (record.timedOutAt != nil ? "; TIMED OUT, held" : "")
  }
}
