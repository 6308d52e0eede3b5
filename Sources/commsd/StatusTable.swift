import CommsCore
import Foundation

/// The human form of `commsd status`.
enum StatusTable {
  static let stateOrder = [
    "delivered", "sent", "unconfirmed", "sending", "ready", "retrying", "held", "queued", "dead",
    "undeliverable", "cancelled", "superseded", "expired", "digested",
  ]

  /// `endpointFormats` (by endpoint name) name a webhook delivery's channel
  /// by what it went out as: `gatewayapi`, `teams-workflows`, … (plain
  /// `webhook` for commsd's own format).
  static func render(
    _ status: MessageStatus, endpointFormats: [String: String] = [:],
    now: Date = SystemClock().now()
  ) -> String {
    var lines: [String] = []
    lines.append("\(status.id)  \(status.priority) \(status.kind)  \"\(status.subject)\"")
    lines.append(
      "accepted \(LocalTime.format(status.acceptedAt)) by \(status.sender) for \(status.audiences.joined(separator: ", "))"
    )
    if status.mode != "actual" {
      lines.append("\(status.mode.uppercased()): marked so to every reader")
    }
    if let template = status.template { lines.append("from template \(template)") }
    if let draft = status.draft { lines.append("sent from draft \(draft)") }
    if let old = status.supersedes { lines.append("supersedes \(old)") }
    if let new = status.supersededBy { lines.append("SUPERSEDED by \(new)") }
    if let expires = status.expiresAt { lines.append("expires \(LocalTime.format(expires))") }
    if let cancelled = status.cancelledAt {
      lines.append("CANCELLED \(LocalTime.format(cancelled)): \(status.cancelReason ?? "")")
    }
    if let retraction = status.retraction { lines.append("retraction sent as \(retraction)") }
    if let original = status.retractionOf { lines.append("retracts \(original)") }
    guard status.plannedAt != nil else {
      let approvals = status.approvals ?? []
      lines += approvals.map(approvalLine)
      let scheduled = status.notBefore.flatMap { $0 > now ? $0 : nil }
      if let release = scheduled, status.cancelledAt == nil {
        lines.append(
          "HELD: scheduled until \(LocalTime.format(release)); released then (commsd cancel \(status.id), or send one with --supersedes \(status.id), to call it off)"
        )
      }
      if approvals.contains(where: { $0.state == .pending && $0.othersWait }) {
        lines.append("not planned: it waits for approval (commsd approve \(status.id))")
      } else if scheduled != nil {
        lines.append("not planned: no deliveries, bulletin number or dosing until its release")
      } else {
        lines.append("not planned yet: the daemon plans it as soon as it runs (commsd serve)")
      }
      return lines.joined(separator: "\n")
    }
    if let release = status.notBefore {
      lines.append("released \(LocalTime.format(release)) (scheduled)")
    }
    let counts = stateOrder.compactMap { state in status.counts[state].map { "\(state) \($0)" } }
    let bulletins = status.audiences.compactMap { audience in
      status.bulletins[audience].map { "\(audience) #\($0)" }
    }
    lines.append("bulletin " + bulletins.joined(separator: ", "))
    lines.append("\(status.deliveries.count) deliveries: " + counts.joined(separator: ", "))
    var reach = "reached \(status.recipients.reached) of \(status.recipients.total) people"
    if status.recipients.unconfirmed > 0 {
      reach +=
        ", \(status.recipients.unconfirmed) unconfirmed (taken by the SMS gateway, no handset receipt)"
    }
    if status.recipients.pending > 0 { reach += ", \(status.recipients.pending) pending" }
    if !status.recipients.unreachable.isEmpty {
      reach +=
        "; UNREACHABLE on every contact: " + status.recipients.unreachable.joined(separator: ", ")
    }
    lines.append(reach)
    if let confirmation = status.confirmation {
      lines.append(confirmationLine(confirmation, total: status.recipients.total))
    }
    for approval in status.approvals ?? [] { lines.append(approvalLine(approval)) }
    lines.append("")
    var rows = [["RECIPIENT", "AUDIENCE", "CHANNEL", "CONTACT", "STATE", "TRIES", "DETAIL"]]
    for line in status.deliveries {
      var detail = ""
      if let delivered = line.deliveredAt {
        detail = LocalTime.format(delivered)
        if line.receiptAt != nil { detail += " (handset receipt)" }
      } else if line.state == "sent", let due = line.dueAt {
        detail =
          "gateway took it \(line.sentAt.map(LocalTime.format) ?? ""); receipt awaited until \(LocalTime.format(due))"
      } else if line.state == "unconfirmed" {
        detail = "gateway took it \(line.sentAt.map(LocalTime.format) ?? ""); no receipt came"
      } else if line.state == "digested", let digest = line.digest {
        detail = "in digest \(digest)"
      } else if line.state == "held", let due = line.dueAt {
        detail = "held: \(line.holdReason ?? "dosing") until \(LocalTime.format(due))"
      } else if line.state == "retrying", let due = line.dueAt {
        detail = "next try \(LocalTime.format(due))"
      }
      if line.state == "dead", status.recipients.unreachable.contains(line.recipient) {
        detail = "unreachable"
      }
      if line.state != "delivered", let error = line.lastError {
        detail += detail.isEmpty ? error : " · \(error)"
      }
      var channel = line.channel
      if channel == "webhook", let colon = line.contact.firstIndex(of: ":"),
        let format = endpointFormats[String(line.contact[..<colon])], format != "commsd"
      {
        channel = format
      }
      rows.append([
        "\(line.recipientName) (\(line.recipient))", line.audience, channel, line.contact,
        line.state,
        String(line.attempts), detail,
      ])
    }
    let widths = (0..<rows[0].count - 1).map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
      var text = ""
      for (index, cell) in row.enumerated() {
        text +=
          index < widths.count
          ? cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0) : cell
      }
      lines.append(text)
    }
    return lines.joined(separator: "\n")
  }

  /// Who confirmed by the deadline, who late, and — by name, to chase —
  /// who has not.
  /// "approval citizens: APPROVED by pol-001 (link) after 3m12s" and the
  /// like; for one still waiting, whom it waits for.
  static func approvalLine(_ record: ApprovalRecord) -> String {
    var line = "approval \(record.audience): "
    switch record.state {
    case .pending:
      let voted = Set(record.votes.map(\.approver))
      let waiting = record.approvers.filter { !voted.contains($0.id) }
        .map { "\($0.name) (\($0.id))" }
      line +=
        "AWAITING \(record.votes.filter { $0.decision == .approve }.count) of \(record.required) from "
        + waiting.joined(separator: ", ") + " since \(LocalTime.format(record.requestedAt))"
        + " (asked \(record.reminders) times)"
      if record.timedOutAt != nil { line += "; TIMED OUT, held" }
    case .bypassed:
      line += "SENT WITHOUT APPROVAL (flash is never held)"
    case .approved, .rejected, .withdrawn:
      line += record.state.rawValue.uppercased()
      let approvers = record.votes.filter { $0.decision == .approve }.map(\.approver)
      if record.state == .approved, !approvers.isEmpty {
        line += " by " + approvers.joined(separator: ", ")
      } else if let by = record.decidedBy {
        line += " by \(by)"
      }
      if let via = record.decidedVia { line += " (\(via))" }
      if let latency = record.latency {
        line += " after \(DurationText.format(.wholeSeconds(latency)))"
      }
      if let reason = record.reason { line += ": \(Printable.quoted(reason))" }
    }
    return line
  }

  static func confirmationLine(_ summary: ConfirmationSummary, total: Int) -> String {
    var text =
      "confirmed \(summary.confirmed) of \(total) by \(LocalTime.format(summary.deadline))"
    if summary.late > 0 { text += ", \(summary.late) late" }
    if let needed = summary.responsesNeeded {
      text +=
        summary.confirmed + summary.late >= needed
        ? " (enough: \(needed) needed)" : " (\(needed) needed)"
    }
    if let median = summary.medianSeconds, let p95 = summary.p95Seconds {
      text +=
        "; time to confirm: median \(DurationText.format(.seconds(median))), 95% \(DurationText.format(.seconds(p95)))"
    }
    if !summary.notConfirmed.isEmpty {
      text +=
        "\nNOT CONFIRMED \(summary.notConfirmed.count): "
        + summary.notConfirmed.map { "\($0.name) (\($0.id))" }.joined(separator: ", ")
    }
    if !summary.unreachable.isEmpty {
      text +=
        "\nnot confirmed and unreachable \(summary.unreachable.count): "
        + summary.unreachable.map { "\($0.name) (\($0.id))" }.joined(separator: ", ")
    }
    for wave in summary.waves {
      let target = wave.target == "@deputy" ? "deputies" : wave.target
      text +=
        "\nwave \(wave.number) at \(LocalTime.format(wave.plannedAt)): \(wave.chased) not confirmed,"
        + " \(wave.deliveries) to \(target), sent to \(wave.sent), \(wave.confirmed) of them confirmed"
    }
    if let next = summary.nextWaveAt {
      text += "\nnext wave at \(LocalTime.format(next)) (\(summary.waves.count + 2))"
    }
    return text
  }
}

/// Times shown to people: Europe/Copenhagen.
enum LocalTime {
  static func format(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "da_DK")
    formatter.timeZone = TimeZone(identifier: "Europe/Copenhagen")
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    return formatter.string(from: date)
  }
}
