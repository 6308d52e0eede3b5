/// Parses TOML 1.0 documents into `TOMLTable`s that remember the line each
/// value was written on, and reports invalid TOML as a `TOMLSyntaxError`
/// naming file, line and column.
///
/// ```swift
/// let root = try TOMLParser.parse(text, file: "commsd.toml")
/// if let port = root["port"] { print(port.line, port.value) }
/// ```
public enum TOMLParser: Sendable {
  /// Parses `text` as a TOML document and returns its root table.
  ///
  /// - Parameters:
  ///   - text: The whole document.
  ///   - file: Only used in error messages.
  /// - Throws: `TOMLSyntaxError` for the first problem found.
  public static func parse(_ text: String, file: String) throws(TOMLSyntaxError) -> TOMLTable {
    var reader = TOMLReader(text: text, file: file)
    try reader.parseDocument()
    return reader.buildTable(0)
  }
}

extension TOMLReader {
  /// Reads the document line by line: blank lines, comments, `[table]`
  /// and `[[array of tables]]` headers, and `key = value` pairs.
  mutating func parseDocument() throws(TOMLSyntaxError) {
    var current = newTable(line: 1, origin: .root)
    while true {
      skipWhitespace()
      guard let byte = peek() else { return }
      switch byte {
      case Byte.lineFeed, Byte.carriageReturn:
        try consumeNewline()
      case Byte.hash:
        try skipComment()
      case Byte.openBracket:
        current = try parseHeader()
      default:
        try parseKeyValue(into: current)
        try expectEndOfLine(after: "the value")
      }
    }
  }

  /// `[key]` or `[[key]]`; returns the table that following keys go into.
  private mutating func parseHeader() throws(TOMLSyntaxError) -> Int {
    let start = mark
    offset += 1
    let isArray = peek() == Byte.openBracket
    if isArray { offset += 1 }
    let key = try parseKey()
    let closing = isArray ? "]]" : "]"
    guard peek() == Byte.closeBracket, !isArray || peek(1) == Byte.closeBracket else {
      if isArray && peek() == Byte.closeBracket { offset += 1 }
      throw error(
        "expected '\(closing)' to close the \(isArray ? "array of tables" : "table") header, "
          + "found \(describeCurrent())")
    }
    offset += closing.utf8.count
    try expectEndOfLine(after: "the table header")
    if isArray {
      return try appendTableArrayElement(key, line: start.line)
    }
    return try defineTable(key, line: start.line)
  }

  /// `key = value`, storing the value in `table`.
  private mutating func parseKeyValue(into table: Int) throws(TOMLSyntaxError) {
    let key = try parseKey()
    guard peek() == Byte.equals else { throw missingEquals(after: key) }
    offset += 1
    skipWhitespace()
    if isAtEnd || isAtNewline || peek() == Byte.hash {
      throw error(
        "missing value for key '\(TOMLKeySegment.display(key[...]))': "
          + "the value must be on the same line as the '='")
    }
    let node = try parseValue()
    try insert(node, at: key, into: table)
  }
}
