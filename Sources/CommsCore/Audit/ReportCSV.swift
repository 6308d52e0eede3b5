import Foundation

/// The CSV form of an after-action report (RFC 4180 quoting, lines ending in
/// LF as `audit export` writes them): a header, then one row per audience
/// per message. Column names are plain identifiers for
/// spreadsheets and scripts; times are RFC 3339 UTC, delays in seconds.
///
/// The breakdowns are one cell each: `channels` as `CHANNEL delivered/deliveries`
/// and `languages` as `LANGUAGE reached/recipients`, separated by `; `;
/// `unreachable_people` as `ID NAME (REASON)` separated by `; `. For a message
/// that asks readers to confirm, `confirmed` (in time), `confirmed_late`,
/// `not_confirmed` and `not_confirmed_people` (`ID NAME`, `; `); empty otherwise.
public enum ReportCSV {
  public static let header = [
    "message_id", "subject", "priority", "kind", "mode", "accepted_at", "sender", "supersedes",
    "superseded_by", "cancelled_at", "audience", "recipients", "reached", "reached_by_handset",
    "reached_by_fallback", "unconfirmed", "unreachable", "pending",
    "withdrawn", "median_seconds", "p95_seconds", "channels", "languages", "unreachable_people",
    "confirmed", "confirmed_late", "not_confirmed", "confirm_median_seconds",
    "confirm_p95_seconds", "not_confirmed_people",
  ]

  public static func render(_ report: AfterActionReport) -> String {
    var lines = [header.joined(separator: ",")]
    for section in report.messages {
      for audience in section.audiences {
        lines.append(row(section, audience).map(field).joined(separator: ","))
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func row(_ section: MessageSection, _ audience: AudienceFigures) -> [String] {
    [
      section.id, section.subject, section.priority, section.kind, section.mode,
      Timestamp.format(section.acceptedAt), section.sender, section.supersedes ?? "",
      section.supersededBy ?? "", section.cancelledAt.map(Timestamp.format) ?? "",
      audience.audience, String(audience.recipients), String(audience.reached),
      String(audience.reachedByHandset), String(audience.reachedByFallback),
      String(audience.unconfirmed), String(audience.unreachable), String(audience.pending),
      String(audience.withdrawn),
      audience.median.map(seconds) ?? "", audience.p95.map(seconds) ?? "",
      audience.channels.map { "\($0.channel) \($0.delivered)/\($0.deliveries)" }
        .joined(separator: "; "),
      audience.languages.map { "\($0.language) \($0.reached)/\($0.recipients)" }
        .joined(separator: "; "),
      audience.unreachablePeople.map { "\($0.id) \($0.name) (\($0.reason))" }
        .joined(separator: "; "),
    ] + confirmationCells(audience.confirmation)
  }

  /// Empty for a message that asks for no confirmation.
  static func confirmationCells(_ summary: ConfirmationSummary?) -> [String] {
    guard let summary else { return ["", "", "", "", "", ""] }
    return [
      String(summary.confirmed), String(summary.late),
      String(summary.notConfirmed.count + summary.unreachable.count),
      summary.medianSeconds.map(String.init) ?? "", summary.p95Seconds.map(String.init) ?? "",
      (summary.notConfirmed + summary.unreachable).map { "\($0.id) \($0.name)" }
        .joined(separator: "; "),
    ]
  }

  /// Seconds with millisecond precision and a decimal point: `4.250`.
  static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }

  /// A field quoted when it holds a comma, quote or line break; quotes doubled.
  /// A field that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`,
  /// TAB or CR first, as OWASP lists them) gets a leading apostrophe, since
  /// names and texts come from recipient lists and requests. Looked at as
  /// scalars: `"\r\n"` is one `Character`, and would slip past.
  public static func field(_ text: String) -> String {
    var text = text
    if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first),
      Double(text) == nil
    {
      text = "'" + text
    }
    guard
      text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
    else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
