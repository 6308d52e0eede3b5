/// The text of a message template in one language: words and `{{name}}`
/// placeholders, and nothing else. Deliberately smaller than Mustache (which
/// the audience templates use): a crisis team writes these, so there are no
/// sections, escapes or partials to get wrong, and every placeholder is
/// checked against the template's declared variables before anyone sends.
public struct TemplateText: Sendable, Equatable {
  public enum Piece: Sendable, Equatable {
    case text(String)
    case variable(String)
  }

  public var pieces: [Piece]

  /// The names used, in order of first use.
  public var variables: [String] {
    var seen = Set<String>()
    return pieces.compactMap {
      guard case .variable(let name) = $0, seen.insert(name).inserted else { return nil }
      return name
    }
  }

  /// What is wrong with a text, in words for the person who wrote it.
  public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// 1-based, within the text.
    public var line: Int
    public var description: String { message }
  }

  /// A variable's name: a lower-case letter, then letters, digits or `_`, at most 32.
  public static func isName(_ text: some StringProtocol) -> Bool {
    guard let first = text.utf8.first, (97...122).contains(first), text.utf8.count <= 32 else {
      return false
    }
    return text.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 }
  }

  /// Reads `text`: `{{name}}` (spaces inside allowed) is a placeholder; a
  /// `{{` without its `}}`, a stray `}}`, or anything other than a name
  /// between them is a problem naming the line.
  public static func parse(_ text: String) throws(Problem) -> TemplateText {
    var pieces: [Piece] = []
    var rest = Substring(text)
    var line = 1
    while let open = rest.range(of: "{{") {
      let before = rest[..<open.lowerBound]
      if before.contains("}}") {
        throw Problem(message: "\"}}\" without \"{{\" before it", line: line + newlines(before))
      }
      if !before.isEmpty { pieces.append(.text(String(before))) }
      line += newlines(before)
      let inside = rest[open.upperBound...]
      guard let close = inside.range(of: "}}") else {
        throw Problem(message: "\"{{\" without \"}}\" after it", line: line)
      }
      let name = inside[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
      guard isName(name) else {
        let shown = Printable.quoted(String(inside[..<close.lowerBound].prefix(40)))
        throw Problem(
          message:
            "{{\(shown)}} is not a variable: write {{name}} with a lower-case name (letters, digits, _)",
          line: line)
      }
      pieces.append(.variable(name))
      rest = inside[close.upperBound...]
    }
    if rest.contains("}}") {
      throw Problem(message: "\"}}\" without \"{{\" before it", line: line + newlines(rest))
    }
    if !rest.isEmpty { pieces.append(.text(String(rest))) }
    return TemplateText(pieces: pieces)
  }

  /// The text with every placeholder replaced by its value; nil values are
  /// the caller's to have refused (`MessageTemplate.render`).
  public func render(_ values: [String: String]) -> String {
    pieces.reduce(into: "") { text, piece in
      switch piece {
      case .text(let words): text += words
      case .variable(let name): text += values[name] ?? ""
      }
    }
  }

  private static func newlines(_ text: Substring) -> Int {
    text.reduce(0) { $0 + ($1.isNewline ? 1 : 0) }
  }
}
