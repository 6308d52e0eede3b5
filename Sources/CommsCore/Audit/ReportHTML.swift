import Foundation

/// The HTML form of an after-action report ("Efterrapport"): one
/// self-contained page with inline CSS and inline SVG charts, no scripts and
/// no external resources, so it opens offline, prints, and can be attached
/// to a case. All text is escaped; the page is well-formed XML (XHTML-
/// compatible) as well as HTML5.
public enum ReportHTML {
  public static func render(_ report: AfterActionReport) -> String {
    var html = """
      <!DOCTYPE html>
      <html lang="da">
      <head>
      <meta charset="utf-8"/>
      <meta name="viewport" content="width=device-width, initial-scale=1"/>
      <title>Efterrapport · \(escape(ReportText.scope(report.scope)))</title>
      <style>\(style)</style>
      </head>
      <body>
      <h1>Efterrapport</h1>
      <p class="meta">\(escape(ReportText.scope(report.scope))) · udarbejdet \
      \(escape(ReportText.time(report.generatedAt)))</p>

      """
    if case .period = report.scope {
      html += "<section class=\"totals\">\n<h2>I alt pr. målgruppe</h2>\n"
      html += "<p>\(report.messages.count) meddelelser i perioden.</p>\n"
      if let first = report.messages.first {
        html += "<h3>Nået pr. målgruppe</h3>\n" + ReportSVG.reachBars(report.totals) + "\n"
        html += "<h3>Tidslinje: nåede personer (alle meddelelser)</h3>\n"
        html += ReportSVG.timeline(report.totals, start: first.acceptedAt, relative: false) + "\n"
        html += reachTable(report.totals) + channelTable(report.totals)
      }
      html += "</section>\n"
    }
    for section in report.messages { html += self.section(section) }
    if let approvals = report.approvals, approvals.requested + approvals.sentWithoutApproval > 0 {
      html += "<section class=\"approvals\">\n<h2>Godkendelse (fire øjne)</h2>\n"
      for line in approvals.lines.dropFirst() { html += "<p>\(escape(line))</p>\n" }
      html += "</section>\n"
    }
    if let inquiries = report.inquiries, inquiries.received > 0 {
      html += "<section class=\"inquiries\">\n<h2>Spørgsmål og svar</h2>\n"
      for line in inquiries.lines.dropFirst() { html += "<p>\(escape(line))</p>\n" }
      html += "</section>\n"
    }
    html += """
      <footer>
      <p>En person er <em>nået</em>, når en af vedkommendes leveringer er leveret (eller \
      samlet i et sammendrag, der blev leveret); <em>uopnåelig</em>, når den sidste kontakt \
      fejlede endeligt; <em>trukket tilbage</em>, når det, der var tilbage, blev annulleret, \
      erstattet eller udløb; ellers <em>afventer</em> vedkommende. Tid til levering regnes \
      fra meddelelsen blev accepteret til den første levering til personen. Median og 95 %-\
      fraktil efter nærmeste rang: værdien på plads ⌈p/100 · n⌉ i stigende orden.</p>
      <p>Tider i dansk tid (Europe/Copenhagen).</p>
      </footer>
      </body>
      </html>

      """
    return html
  }

  static func section(_ section: MessageSection) -> String {
    var html = "<section class=\"message\">\n"
    html += "<h2>\(escape(section.subject.isEmpty ? section.id : section.subject))</h2>\n"
    html += "<table class=\"facts\">\n"
    let facts: [(String, String)] = [
      ("Meddelelse", section.id), ("Prioritet", section.priority), ("Type", section.kind),
      ("Accepteret", ReportText.time(section.acceptedAt)), ("Afsender", section.sender),
    ]
    for (label, value) in facts {
      html += "<tr><th>\(escape(label))</th><td>\(escape(value))</td></tr>\n"
    }
    html += "</table>\n"
    for mark in ReportText.marks(section) {
      html += "<p class=\"mark\">\(escape(mark))</p>\n"
    }
    html += "<h3>Nået pr. målgruppe</h3>\n" + ReportSVG.reachBars(section.audiences) + "\n"
    html += "<h3>Tidslinje: nåede personer siden accept</h3>\n"
    html += ReportSVG.timeline(section.audiences, start: section.acceptedAt, relative: true) + "\n"
    html += reachTable(section.audiences) + channelTable(section.audiences)
    html += table(
      caption: "Sprog", headers: ["Målgruppe", "Sprog", "Modtagere", "Nået"], numeric: [2, 3],
      rows: section.audiences.flatMap { audience in
        audience.languages.map {
          [audience.audience, $0.language, String($0.recipients), String($0.reached)]
        }
      })
    let unreachable = section.audiences.flatMap { audience in
      audience.unreachablePeople.map {
        [
          audience.audience, $0.id, $0.name, String($0.contactsTried), $0.lastContact,
          $0.reason,
        ]
      }
    }
    if !unreachable.isEmpty {
      html += table(
        caption: "Uopnåelige (alle kontakter fejlede)",
        headers: ["Målgruppe", "Id", "Navn", "Kontakter", "Sidst forsøgt", "Årsag"],
        numeric: [3], rows: unreachable, rowClass: "unreachable")
    }
    let confirming = section.audiences.compactMap { audience in
      audience.confirmation.map { (audience.audience, $0) }
    }
    if let deadline = confirming.first?.1.deadline {
      html += table(
        caption: "Bekræftelser (frist \(ReportText.time(deadline)))",
        headers: ["Målgruppe", "Bekræftet", "Sent", "Ikke bekræftet", "Median", "95 %"],
        numeric: [1, 2, 3, 4, 5],
        rows: confirming.map { ReportText.confirmationCells($0.0, $0.1) })
      let missing = confirming.flatMap { audience, summary in
        summary.notConfirmed.map { [audience, $0.id, $0.name] }
      }
      if !missing.isEmpty {
        html += table(
          caption: "Ikke bekræftet", headers: ["Målgruppe", "Id", "Navn"], numeric: [],
          rows: missing, rowClass: "unreachable")
      }
      if !section.waves.isEmpty {
        html += table(
          caption: "Påmindelsesbølger",
          headers: ["Bølge", "Tid", "Til", "Ikke bekræftet", "Udsendelser", "Sendt", "Bekræftet"],
          numeric: [0, 3, 4, 5, 6], rows: section.waves.map(ReportText.waveCells))
      }
    }
    return html + "</section>\n"
  }

  static func reachTable(_ figures: [AudienceFigures]) -> String {
    table(
      caption: "Rækkevidde",
      headers: [
        "Målgruppe", "Modtagere", "Nået", "Andel", "Heraf kvitteret", "Heraf anden kontakt",
        "Ubekræftet", "Uopnåelige", "Afventer", "Trukket tilbage", "Median", "95 %",
      ], numeric: Set(1...11),
      rows: figures.map {
        [
          $0.audience, String($0.recipients), String($0.reached),
          ReportText.percent($0.reached, of: $0.recipients), String($0.reachedByHandset),
          String($0.reachedByFallback), String($0.unconfirmed), String($0.unreachable),
          String($0.pending), String($0.withdrawn), ReportText.duration($0.median),
          ReportText.duration($0.p95),
        ]
      })
  }

  static func channelTable(_ figures: [AudienceFigures]) -> String {
    table(
      caption: "Kanaler",
      headers: ["Målgruppe", "Kanal", "Leveringer", "Forsøg", "Leveret", "Fejlet"],
      numeric: [2, 3, 4, 5],
      rows: figures.flatMap { audience in
        audience.channels.map {
          [
            audience.audience, $0.channel, String($0.deliveries), String($0.attempts),
            String($0.delivered), String($0.dead),
          ]
        }
      })
  }

  static func table(
    caption: String, headers: [String], numeric: Set<Int>, rows: [[String]],
    rowClass: String? = nil
  ) -> String {
    guard !rows.isEmpty else { return "" }
    var html = "<table>\n<caption>\(escape(caption))</caption>\n<thead><tr>"
    for (index, header) in headers.enumerated() {
      html += numeric.contains(index) ? "<th class=\"n\">" : "<th>"
      html += "\(escape(header))</th>"
    }
    html += "</tr></thead>\n<tbody>\n"
    for row in rows {
      html += rowClass.map { "<tr class=\"\($0)\">" } ?? "<tr>"
      for (index, cell) in row.enumerated() {
        html += numeric.contains(index) ? "<td class=\"n\">" : "<td>"
        html += "\(escape(cell))</td>"
      }
      html += "</tr>\n"
    }
    return html + "</tbody>\n</table>\n"
  }

  /// Text for HTML and XML, in content and in quoted attributes: the five
  /// special characters as entities, and control characters XML does not
  /// allow (all below U+0020 but tab and line breaks) left out.
  public static func escape(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\"": escaped += "&quot;"
      case "'": escaped += "&#39;"
      case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
      default:
        if scalar.value >= 0x20, scalar.value != 0xFFFE, scalar.value != 0xFFFF {
          escaped.unicodeScalars.append(scalar)
        }
      }
    }
    return escaped
  }

  static let style = """

    body { font-family: system-ui, sans-serif; color: #222; margin: 2em auto; max-width: 60em; \
    padding: 0 1em; line-height: 1.4; }
    h1 { margin-bottom: 0.2em; }
    h2 { border-bottom: 2px solid #1565c0; padding-bottom: 0.2em; margin-top: 2em; }
    h3 { margin: 1.2em 0 0.4em; font-size: 1em; }
    .meta { color: #555; margin-top: 0; }
    .mark { display: inline-block; background: #fff3e0; border: 1px solid #ef6c00; \
    padding: 0.1em 0.5em; margin: 0.2em 0.4em 0.2em 0; border-radius: 3px; }
    table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.95em; }
    caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
    th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.7em; text-align: left; \
    vertical-align: top; }
    thead th { background: #f0f4f8; }
    .n { text-align: right; font-variant-numeric: tabular-nums; }
    table.facts th { background: none; font-weight: normal; color: #555; }
    tr.unreachable td { background: #fdecea; }
    svg { display: block; max-width: 100%; height: auto; margin: 0.4em 0; }
    footer { margin-top: 3em; color: #555; font-size: 0.9em; border-top: 1px solid #ddd; }
    @media print { section { break-inside: avoid-page; } body { margin: 0; max-width: none; } }

    """
}
