import Foundation

/// The terminal form of an after-action report: a block per message with
/// aligned tables (reach, channels, languages, the unreachable), and for a
/// period the totals per audience last. Headings in Danish, times local.
public enum ReportTable {
  public static func render(_ report: AfterActionReport) -> String {
    var lines = [
      "EFTERRAPPORT · \(ReportText.scope(report.scope))",
      "Udarbejdet \(ReportText.time(report.generatedAt))",
    ]
    if case .period = report.scope {
      lines.append("\(report.messages.count) meddelelser")
    }
    for section in report.messages {
      lines.append("")
      lines += self.section(section)
    }
    if case .period = report.scope, !report.messages.isEmpty {
      lines.append("")
      lines.append("I ALT PR. MÅLGRUPPE")
      lines += reach(report.totals)
      lines.append("")
      lines += channels(report.totals)
    }
    if let inquiries = report.inquiries, inquiries.received > 0 {
      lines.append("")
      lines += inquiries.lines
    }
    if let approvals = report.approvals, approvals.requested + approvals.sentWithoutApproval > 0 {
      lines.append("")
      lines += approvals.lines
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func section(_ section: MessageSection) -> [String] {
    var lines = [
      "\(section.id)  \(section.priority) \(section.kind)  \"\(section.subject)\"",
      "accepteret \(ReportText.time(section.acceptedAt)) af \(section.sender)",
    ]
    let marks = ReportText.marks(section)
    if !marks.isEmpty { lines.append(marks.joined(separator: " · ")) }
    lines.append("")
    lines += reach(section.audiences)
    let figures = section.audiences
    if figures.contains(where: { !$0.channels.isEmpty }) {
      lines.append("")
      lines += channels(figures)
    }
    if figures.contains(where: { !$0.languages.isEmpty }) {
      lines.append("")
      var rows = [["MÅLGRUPPE", "SPROG", "MODTAGERE", "NÅET"]]
      for audience in figures {
        for language in audience.languages {
          rows.append([
            audience.audience, language.language, String(language.recipients),
            String(language.reached),
          ])
        }
      }
      lines += grid(rows, rightAligned: [2, 3])
    }
    let unreachable = figures.flatMap { audience in
      audience.unreachablePeople.map { (audience.audience, $0) }
    }
    if !unreachable.isEmpty {
      lines.append("")
      lines.append("UOPNÅELIGE (alle kontakter fejlede)")
      var rows = [["MÅLGRUPPE", "ID", "NAVN", "KONTAKTER", "SIDST FORSØGT", "ÅRSAG"]]
      for (audience, person) in unreachable {
        rows.append([
          audience, person.id, person.name, String(person.contactsTried), person.lastContact,
          person.reason,
        ])
      }
      lines += grid(rows, rightAligned: [3])
    }
    let confirming = figures.compactMap { audience in
      audience.confirmation.map { (audience.audience, $0) }
    }
    if !confirming.isEmpty {
      lines.append("")
      var rows = [["MÅLGRUPPE", "BEKRÆFTET", "SENT", "IKKE BEKRÆFTET", "MEDIAN", "95 %"]]
      for (audience, summary) in confirming {
        rows.append(ReportText.confirmationCells(audience, summary))
      }
      lines += grid(rows, rightAligned: [1, 2, 3, 4, 5])
      let missing = confirming.flatMap { audience, summary in
        summary.notConfirmed.map { (audience, $0) }
      }
      if !missing.isEmpty {
        lines.append("")
        lines.append("IKKE BEKRÆFTET (fristen \(ReportText.time(confirming[0].1.deadline)))")
        var people = [["MÅLGRUPPE", "ID", "NAVN"]]
        for (audience, person) in missing { people.append([audience, person.id, person.name]) }
        lines += grid(people, rightAligned: [])
      }
    }
    if !section.waves.isEmpty {
      lines.append("")
      lines += grid(
        [["BØLGE", "TID", "TIL", "IKKE BEKRÆFTET", "UDSENDELSER", "SENDT", "BEKRÆFTET"]]
          + section.waves.map(ReportText.waveCells), rightAligned: [0, 3, 4, 5, 6])
    }
    return lines
  }

  /// People per audience: reached (of them confirmed by a handset receipt,
  /// and reached on a later contact), unconfirmed (a gateway's word only),
  /// unreachable, pending, withdrawn, and the delays.
  static func reach(_ figures: [AudienceFigures]) -> [String] {
    var rows = [
      [
        "MÅLGRUPPE", "MODTAGERE", "NÅET", "ANDEL", "HERAF KVITTERET", "HERAF ANDEN KONTAKT",
        "UBEKRÆFTET", "UOPNÅELIGE", "AFVENTER", "TRUKKET TILBAGE", "MEDIAN", "95 %",
      ]
    ]
    for audience in figures {
      rows.append([
        audience.audience, String(audience.recipients), String(audience.reached),
        ReportText.percent(audience.reached, of: audience.recipients),
        String(audience.reachedByHandset), String(audience.reachedByFallback),
        String(audience.unconfirmed), String(audience.unreachable), String(audience.pending),
        String(audience.withdrawn), ReportText.duration(audience.median),
        ReportText.duration(audience.p95),
      ])
    }
    return grid(rows, rightAligned: Set(1...11)) + [
      "Nået: e-mail modtaget af relæet, webhook af modtageren, SMS med kvittering bekræftet af"
        + " telefonen. Ubekræftet: taget af SMS-gatewayen uden kvittering — ikke regnet som nået."
    ]
  }

  /// Deliveries per audience and channel.
  static func channels(_ figures: [AudienceFigures]) -> [String] {
    var rows = [["MÅLGRUPPE", "KANAL", "LEVERINGER", "FORSØG", "LEVERET", "FEJLET"]]
    for audience in figures {
      for channel in audience.channels {
        rows.append([
          audience.audience, channel.channel, String(channel.deliveries), String(channel.attempts),
          String(channel.delivered), String(channel.dead),
        ])
      }
    }
    return grid(rows, rightAligned: [2, 3, 4, 5])
  }

  /// Rows as aligned columns two spaces apart; the last column is not padded.
  /// Cells are single lines (line breaks in names become spaces).
  static func grid(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
    let cells = rows.map { row in
      row.map { cell in String(cell.map { $0.isNewline || $0 == "\t" ? " " : $0 }) }
    }
    let columns = cells.map(\.count).max() ?? 0
    let widths = (0..<columns).map { column in
      cells.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
    }
    return cells.map { row in
      var text = ""
      for (index, cell) in row.enumerated() {
        let padding = String(repeating: " ", count: widths[index] - cell.count)
        if index > 0 { text += "  " }
        if rightAligned.contains(index) {
          text += padding + cell
        } else {
          text += index == row.count - 1 ? cell : cell + padding
        }
      }
      return text
    }
  }
}
