/// A position in the document, kept so that errors can point back at it.
struct TOMLMark: Sendable {
  /// Byte offset into the UTF-8 text.
  var offset: Int
  /// 1-based line.
  var line: Int
  /// Byte offset of the first byte of `line`.
  var lineStart: Int
}

/// The parser's state: a cursor over the document's UTF-8 bytes that tracks
/// lines, plus the tables built so far.
///
/// Parsing is split over extensions: keys and strings, values, numbers,
/// date-times and table construction each live in their own file.
struct TOMLReader: Sendable {
  typealias Byte = TOMLByte

  /// The deepest nesting of arrays and inline tables that is accepted.
  static let maximumDepth = 128

  let bytes: [UInt8]
  let file: String
  var offset = 0
  var line = 1
  var lineStart = 0
  /// Current nesting of arrays and inline tables.
  var depth = 0
  /// Scratch space for decoding strings.
  var buffer: [UInt8] = []
  /// Every table under construction; index 0 is the root.
  var tables: [TOMLDraftTable] = []
  /// Every array of tables under construction.
  var tableArrays: [TOMLDraftTableArray] = []

  init(text: String, file: String) {
    self.bytes = Array(text.utf8)
    self.file = file
    // A UTF-8 byte order mark is not part of the document.
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
      offset = 3
      lineStart = 3
    }
  }

  // MARK: - Cursor

  var mark: TOMLMark { TOMLMark(offset: offset, line: line, lineStart: lineStart) }

  var isAtEnd: Bool { offset >= bytes.count }

  /// The byte `ahead` positions from the cursor, or nil past the end.
  func peek(_ ahead: Int = 0) -> UInt8? {
    let index = offset + ahead
    return index < bytes.count ? bytes[index] : nil
  }

  /// Whether the bytes at the cursor are `byte` repeated `count` times.
  func peekRepeated(_ byte: UInt8, _ count: Int) -> Bool {
    guard offset + count <= bytes.count else { return false }
    for index in offset..<(offset + count) where bytes[index] != byte { return false }
    return true
  }

  /// Whether the cursor is at a line feed or a carriage return.
  var isAtNewline: Bool {
    guard let byte = peek() else { return false }
    return byte == Byte.lineFeed || byte == Byte.carriageReturn
  }

  /// Skips spaces and tabs.
  mutating func skipWhitespace() {
    while offset < bytes.count, bytes[offset] == Byte.space || bytes[offset] == Byte.tab {
      offset += 1
    }
  }

  /// Consumes a line feed or a CRLF pair and starts a new line.
  mutating func consumeNewline() throws(TOMLSyntaxError) {
    if peek() == Byte.carriageReturn {
      guard peek(1) == Byte.lineFeed else {
        throw error("a carriage return (U+000D) must be followed by a line feed")
      }
      offset += 1
    }
    offset += 1
    line += 1
    lineStart = offset
  }

  /// Skips a `#` comment up to, but not including, the end of the line.
  mutating func skipComment() throws(TOMLSyntaxError) {
    offset += 1
    while let byte = peek(), byte != Byte.lineFeed {
      if byte == Byte.carriageReturn {
        if peek(1) == Byte.lineFeed { return }
        throw error("a carriage return (U+000D) must be followed by a line feed")
      }
      if Byte.isControlOtherThanTab(byte) {
        throw error("\(Self.scalarName(byte)) is not allowed in a comment")
      }
      offset += 1
    }
  }

  /// Skips whitespace, newlines and comments (between array elements).
  mutating func skipWhitespaceCommentsAndNewlines() throws(TOMLSyntaxError) {
    while true {
      skipWhitespace()
      guard let byte = peek() else { return }
      if byte == Byte.hash {
        try skipComment()
      } else if byte == Byte.lineFeed || byte == Byte.carriageReturn {
        try consumeNewline()
      } else {
        return
      }
    }
  }

  /// Requires the rest of the line to be empty or a comment, and moves past it.
  mutating func expectEndOfLine(after what: String) throws(TOMLSyntaxError) {
    skipWhitespace()
    if peek() == Byte.hash { try skipComment() }
    if isAtEnd { return }
    guard isAtNewline else {
      throw error(
        "unexpected \(describeCurrent()) after \(what); expected the end of the line or a # comment"
      )
    }
    try consumeNewline()
  }

  // MARK: - Errors

  /// The 1-based column of `mark`, counted in Unicode scalars.
  func column(of mark: TOMLMark) -> Int {
    var column = 1
    for index in mark.lineStart..<min(mark.offset, bytes.count)
    where !Byte.isContinuation(bytes[index]) {
      column += 1
    }
    return column
  }

  func error(_ message: String, at mark: TOMLMark) -> TOMLSyntaxError {
    TOMLSyntaxError(file: file, line: mark.line, column: column(of: mark), message: message)
  }

  func error(_ message: String) -> TOMLSyntaxError {
    error(message, at: mark)
  }

  /// Describes what is at the cursor for an error message: `'abc'`, `','`,
  /// `a space`, `end of line`, `end of file` or a control character.
  func describeCurrent() -> String {
    guard let first = peek() else { return "end of file" }
    switch first {
    case Byte.lineFeed, Byte.carriageReturn: return "end of line"
    case Byte.space: return "a space"
    case Byte.tab: return "a tab"
    case Byte.hash: return "a # comment"
    default: break
    }
    if Byte.isControlOtherThanTab(first) { return Self.scalarName(first) }
    var end = offset + 1
    if first == Byte.quote || first == Byte.apostrophe {
      // Show a quoted string up to its closing quote.
      while end < bytes.count, end - offset < 40, bytes[end] != first, bytes[end] != Byte.lineFeed,
        bytes[end] != Byte.carriageReturn
      {
        end += 1
      }
      if end < bytes.count, bytes[end] == first { end += 1 }
    } else if !Self.isPunctuation(first) {
      var scalars = 1
      while end < bytes.count, scalars < 24 {
        let byte = bytes[end]
        if Byte.isContinuation(byte) {
          end += 1
          continue
        }
        if byte == Byte.space || byte == Byte.tab || byte == Byte.lineFeed
          || byte == Byte.carriageReturn || Byte.isControlOtherThanTab(byte)
          || Self.isPunctuation(byte)
        {
          break
        }
        end += 1
        scalars += 1
      }
    }
    while end < bytes.count, Byte.isContinuation(bytes[end]) { end += 1 }
    return "'\(String(decoding: bytes[offset..<end], as: UTF8.self))'"
  }

  /// Characters that end a word in `describeCurrent`.
  private static func isPunctuation(_ byte: UInt8) -> Bool {
    switch byte {
    case Byte.comma, Byte.equals, Byte.hash, Byte.openBracket, Byte.closeBracket,
      Byte.openBrace, Byte.closeBrace, Byte.quote, Byte.apostrophe:
      true
    default: false
    }
  }

  /// `U+0007` style name of a control character.
  static func scalarName(_ byte: UInt8) -> String {
    let hex = String(byte, radix: 16, uppercase: true)
    return "control character U+" + String(repeating: "0", count: 4 - hex.count) + hex
  }
}
