/// HTML that is safe by construction: text interpolated into it is escaped,
/// and only other `Markup` goes in as it is. Every console page is built of
/// it, so a subject, a name or a reply from outside can never become markup.
///
/// ```swift
/// let row: Markup = "<td>\(message.subject)</td>"   // subject escaped
/// let page: Markup = "<tr>\(row)</tr>"               // row as it is
/// ```
public struct Markup: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible
{
  public private(set) var html: String

  public init(stringLiteral value: String) { html = value }

  public init(stringInterpolation: Interpolation) { html = stringInterpolation.html }

  /// Trusted markup as it is: only for literals assembled here.
  init(trusted html: String) { self.html = html }

  public var description: String { html }

  public struct Interpolation: StringInterpolationProtocol {
    var html = ""

    public init(literalCapacity: Int, interpolationCount: Int) {
      html.reserveCapacity(literalCapacity * 2)
    }

    public mutating func appendLiteral(_ literal: String) { html += literal }

    /// Text: escaped.
    public mutating func appendInterpolation(_ text: String) { html += Markup.escape(text) }

    public mutating func appendInterpolation(_ text: Substring) {
      html += Markup.escape(String(text))
    }

    public mutating func appendInterpolation(_ number: Int) { html += String(number) }

    /// An identifier: its text, escaped.
    public mutating func appendInterpolation(_ id: MessageID) { html += Markup.escape(id.rawValue) }

    public mutating func appendInterpolation(_ id: InquiryID) { html += Markup.escape(id.rawValue) }

    public mutating func appendInterpolation(_ id: DraftID) { html += Markup.escape(id.rawValue) }

    public mutating func appendInterpolation(_ markup: Markup) { html += markup.html }

    public mutating func appendInterpolation(_ markup: Markup?) { html += markup?.html ?? "" }

    public mutating func appendInterpolation(_ parts: [Markup]) {
      for part in parts { html += part.html }
    }
  }

  static func += (lhs: inout Markup, rhs: Markup) { lhs.html += rhs.html }

  /// `parts` one after another.
  static func joined(_ parts: [Markup]) -> Markup {
    Markup(trusted: parts.map(\.html).joined())
  }

  /// Text with its line breaks kept: paragraphs at blank lines, `<br>` within.
  static func paragraphs(_ text: String) -> Markup {
    // A browser's text area sends CRLF line breaks.
    let text = text.replacingOccurrences(of: "\r\n", with: "\n")
    return joined(
      text.components(separatedBy: "\n\n").map { paragraph in
        Markup(
          trusted: "<p>" + escape(paragraph).replacingOccurrences(of: "\n", with: "<br>") + "</p>")
      })
  }

  /// `&`, `<`, `>`, `"` and `'` as entities, control characters left out:
  /// safe in text and in quoted attributes (the report's own escaping).
  static func escape(_ text: String) -> String { ReportHTML.escape(text) }
}
