extension TOMLReader {
  /// Parses the value at the cursor: a string, array, inline table, boolean,
  /// number or date/time.
  mutating func parseValue() throws(TOMLSyntaxError) -> TOMLNode {
    let start = mark
    guard let byte = peek() else { throw error("expected a value, found end of file") }
    let value: TOMLValue
    switch byte {
    case Byte.quote, Byte.apostrophe: value = .string(try parseString())
    case Byte.openBracket: value = .array(try parseArray())
    case Byte.openBrace: value = .table(try parseInlineTable())
    default: value = try parseBareValue()
    }
    return TOMLNode(line: start.line, value: value)
  }

  /// The error for a key that is not followed by `=`.
  func missingEquals(after key: [TOMLKeySegment]) -> TOMLSyntaxError {
    var message =
      "expected '=' after key '\(TOMLKeySegment.display(key[...]))', found \(describeCurrent())"
    if let byte = peek(), Byte.isBareKeyCharacter(byte) || byte >= 0x80 {
      message += " (keys containing spaces or letters outside A-Z must be in quotes)"
    }
    return error(message)
  }

  private mutating func enterNesting(_ start: TOMLMark) throws(TOMLSyntaxError) {
    guard depth < Self.maximumDepth else {
      throw error(
        "arrays and inline tables are nested too deeply (more than \(Self.maximumDepth) levels)",
        at: start)
    }
    depth += 1
  }

  /// `[ value, value, ]`, possibly spanning lines, with comments.
  private mutating func parseArray() throws(TOMLSyntaxError) -> [TOMLNode] {
    let start = mark
    try enterNesting(start)
    defer { depth -= 1 }
    offset += 1
    var elements: [TOMLNode] = []
    while true {
      try skipWhitespaceCommentsAndNewlines()
      if peek() == Byte.closeBracket {
        offset += 1
        return elements
      }
      if isAtEnd { break }
      elements.append(try parseValue())
      try skipWhitespaceCommentsAndNewlines()
      guard let byte = peek() else { break }
      if byte == Byte.comma {
        offset += 1
      } else if byte == Byte.closeBracket {
        offset += 1
        return elements
      } else {
        throw error("expected ',' or ']' after an array element, found \(describeCurrent())")
      }
    }
    throw error("unterminated array: the closing ']' is missing", at: start)
  }

  /// `{ key = value, key = value }` on a single line.
  private mutating func parseInlineTable() throws(TOMLSyntaxError) -> TOMLTable {
    let start = mark
    try enterNesting(start)
    defer { depth -= 1 }
    offset += 1
    let table = newTable(line: start.line, origin: .inline)
    try skipInlineWhitespace(start)
    if peek() == Byte.closeBrace {
      offset += 1
      return buildTable(table)
    }
    while true {
      let key = try parseKey()
      try skipInlineWhitespace(start)
      guard peek() == Byte.equals else { throw missingEquals(after: key) }
      offset += 1
      try skipInlineWhitespace(start)
      try insert(try parseValue(), at: key, into: table)
      try skipInlineWhitespace(start)
      if peek() == Byte.comma {
        let comma = mark
        offset += 1
        try skipInlineWhitespace(start)
        if peek() == Byte.closeBrace {
          throw error("a trailing comma is not allowed in an inline table", at: comma)
        }
      } else if peek() == Byte.closeBrace {
        offset += 1
        return buildTable(table)
      } else {
        throw error("expected ',' or '}' in the inline table, found \(describeCurrent())")
      }
    }
  }

  /// Skips spaces inside an inline table, which must not contain newlines.
  private mutating func skipInlineWhitespace(_ start: TOMLMark) throws(TOMLSyntaxError) {
    skipWhitespace()
    if isAtNewline || peek() == Byte.hash {
      throw error(
        "an inline table { ... } must be written on a single line; "
          + "found \(peek() == Byte.hash ? "a comment" : "a line break") before its closing '}'")
    }
    if isAtEnd { throw error("unterminated inline table: the closing '}' is missing", at: start) }
  }

  /// Booleans, numbers, infinities, NaN and date/times: a run of
  /// `A-Z a-z 0-9 _ + - . :` (plus the space in `1979-05-27 07:32:00`).
  private mutating func parseBareValue() throws(TOMLSyntaxError) -> TOMLValue {
    let start = mark
    scanBareToken()
    // A date followed by a space and a time is one date-time.
    if offset - start.offset == 10, bytes[start.offset + 4] == Byte.minus,
      peek() == Byte.space, let h1 = peek(1), let h2 = peek(2), Byte.isDigit(h1),
      Byte.isDigit(h2), peek(3) == Byte.colon
    {
      offset += 1
      scanBareToken()
    }
    let range = start.offset..<offset
    guard !range.isEmpty else { throw error("expected a value, found \(describeCurrent())") }
    let text = String(decoding: bytes[range], as: UTF8.self)
    switch text {
    case "true": return .boolean(true)
    case "false": return .boolean(false)
    case "inf", "+inf": return .float(.infinity)
    case "-inf": return .float(-.infinity)
    case "nan", "+nan": return .float(.nan)
    case "-nan": return .float(-.nan)
    default: break
    }
    let first = bytes[range.lowerBound]
    if Byte.isDigit(first) && isDateTimeShaped(range) {
      return .dateTime(try parseDateTime(range, text: text, at: start))
    }
    if Byte.isDigit(first) || first == Byte.plus || first == Byte.minus || first == Byte.dot {
      return try parseNumber(range, text: text, at: start)
    }
    if text.lowercased() == "true" || text.lowercased() == "false" {
      throw error("invalid value '\(text)': write booleans in lower case, true or false", at: start)
    }
    throw error(
      "expected a value, found '\(text)' (text must be written in quotes, like \"\(text)\")",
      at: start)
  }

  private mutating func scanBareToken() {
    while let byte = peek(),
      Byte.isDigit(byte) || Byte.isLetter(byte) || byte == Byte.underscore || byte == Byte.plus
        || byte == Byte.minus || byte == Byte.dot || byte == Byte.colon
    {
      offset += 1
    }
  }

  /// `dddd-` (a date) or `dd:` (a time) at the start of `range`.
  private func isDateTimeShaped(_ range: Range<Int>) -> Bool {
    let start = range.lowerBound
    func digits(_ count: Int) -> Bool {
      guard start + count < range.upperBound else { return false }
      return (start..<(start + count)).allSatisfy { Byte.isDigit(bytes[$0]) }
    }
    return (digits(4) && bytes[start + 4] == Byte.minus)
      || (digits(2) && bytes[start + 2] == Byte.colon)
  }
}
