/// One part of a dotted key, with where it was written.
struct TOMLKeySegment: Sendable {
  let name: String
  let mark: TOMLMark

  /// Writes `segments` back as a dotted key, quoting parts that need it:
  /// `relays.local`, `headers."X-Source"`.
  static func display(_ segments: ArraySlice<TOMLKeySegment>) -> String {
    segments.map { quoted($0.name) }.joined(separator: ".")
  }

  private static func quoted(_ name: String) -> String {
    if !name.isEmpty, name.utf8.allSatisfy(TOMLByte.isBareKeyCharacter) { return name }
    var result = "\""
    for scalar in name.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\t": result += "\\t"
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F {
          let hex = String(scalar.value, radix: 16, uppercase: true)
          result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          result.unicodeScalars.append(scalar)
        }
      }
    }
    return result + "\""
  }
}

extension TOMLReader {
  /// Parses a possibly dotted key, including whitespace around its dots.
  mutating func parseKey() throws(TOMLSyntaxError) -> [TOMLKeySegment] {
    var segments: [TOMLKeySegment] = []
    while true {
      skipWhitespace()
      segments.append(try parseSimpleKey())
      skipWhitespace()
      guard peek() == Byte.dot else { return segments }
      offset += 1
    }
  }

  private mutating func parseSimpleKey() throws(TOMLSyntaxError) -> TOMLKeySegment {
    let start = mark
    guard let byte = peek() else { throw error("expected a key, found end of file") }
    if byte == Byte.quote || byte == Byte.apostrophe {
      if peekRepeated(byte, 3) { throw error("a multi-line string cannot be used as a key") }
      let name = byte == Byte.quote ? try parseBasicString() : try parseLiteralString()
      return TOMLKeySegment(name: name, mark: start)
    }
    guard Byte.isBareKeyCharacter(byte) else {
      var message = "expected a key, found \(describeCurrent())"
      if byte >= 0x80 { message += " (keys with letters outside A-Z must be in quotes)" }
      throw error(message)
    }
    while let next = peek(), Byte.isBareKeyCharacter(next) { offset += 1 }
    return TOMLKeySegment(
      name: String(decoding: bytes[start.offset..<offset], as: UTF8.self), mark: start)
  }

  /// Parses a string value of any of the four kinds; the cursor is at its
  /// first quote.
  mutating func parseString() throws(TOMLSyntaxError) -> String {
    let quote = bytes[offset]
    if peekRepeated(quote, 3) {
      return try parseMultilineString(quote)
    }
    return quote == Byte.quote ? try parseBasicString() : try parseLiteralString()
  }

  /// `"basic string"` with escapes.
  mutating func parseBasicString() throws(TOMLSyntaxError) -> String {
    let start = mark
    offset += 1
    buffer.removeAll(keepingCapacity: true)
    while true {
      guard let byte = peek() else { throw unterminated(at: start, closing: "\"") }
      switch byte {
      case Byte.quote:
        offset += 1
        return String(decoding: buffer, as: UTF8.self)
      case Byte.backslash:
        try parseEscape(multiline: false)
      case Byte.lineFeed, Byte.carriageReturn:
        throw unterminated(at: start, closing: "\"")
      default:
        if Byte.isControlOtherThanTab(byte) { throw controlCharacter(byte) }
        buffer.append(byte)
        offset += 1
      }
    }
  }

  /// `'literal string'`: no escapes.
  mutating func parseLiteralString() throws(TOMLSyntaxError) -> String {
    let start = mark
    offset += 1
    let contentStart = offset
    while true {
      guard let byte = peek(), byte != Byte.lineFeed, byte != Byte.carriageReturn else {
        throw unterminated(at: start, closing: "'")
      }
      if byte == Byte.apostrophe {
        offset += 1
        return String(decoding: bytes[contentStart..<(offset - 1)], as: UTF8.self)
      }
      if Byte.isControlOtherThanTab(byte) { throw controlCharacter(byte) }
      offset += 1
    }
  }

  /// `"""multi-line basic"""` or `'''multi-line literal'''`. A newline right
  /// after the opening delimiter is dropped; CRLF becomes LF.
  private mutating func parseMultilineString(_ quote: UInt8) throws(TOMLSyntaxError) -> String {
    let start = mark
    let closing = String(repeating: quote == Byte.quote ? "\"" : "'", count: 3)
    offset += 3
    buffer.removeAll(keepingCapacity: true)
    if isAtNewline { try consumeNewline() }
    while true {
      guard let byte = peek() else {
        throw error("unterminated multi-line string: the closing \(closing) is missing", at: start)
      }
      switch byte {
      case quote:
        // Up to two quotes may directly precede the closing delimiter.
        var run = 1
        while run < 5, peek(run) == quote { run += 1 }
        offset += run
        if run >= 3 {
          buffer.append(contentsOf: repeatElement(quote, count: run - 3))
          return String(decoding: buffer, as: UTF8.self)
        }
        buffer.append(contentsOf: repeatElement(quote, count: run))
      case Byte.backslash where quote == Byte.quote:
        try parseEscape(multiline: true)
      case Byte.lineFeed, Byte.carriageReturn:
        try consumeNewline()
        buffer.append(Byte.lineFeed)
      default:
        if Byte.isControlOtherThanTab(byte) { throw controlCharacter(byte) }
        buffer.append(byte)
        offset += 1
      }
    }
  }

  /// Decodes the escape sequence at the cursor (a backslash) into `buffer`.
  private mutating func parseEscape(multiline: Bool) throws(TOMLSyntaxError) {
    let start = mark
    offset += 1
    guard let byte = peek() else { return }  // the caller reports the unterminated string
    let simple: UInt8? =
      switch byte {
      case UInt8(ascii: "b"): 0x08
      case UInt8(ascii: "t"): 0x09
      case UInt8(ascii: "n"): 0x0A
      case UInt8(ascii: "f"): 0x0C
      case UInt8(ascii: "r"): 0x0D
      case Byte.quote: Byte.quote
      case Byte.backslash: Byte.backslash
      default: nil
      }
    if let simple {
      buffer.append(simple)
      offset += 1
      return
    }
    switch byte {
    case UInt8(ascii: "u"), UInt8(ascii: "U"):
      try parseUnicodeEscape(digits: byte == UInt8(ascii: "u") ? 4 : 8, start: start)
    case Byte.space where multiline, Byte.tab where multiline, Byte.lineFeed where multiline,
      Byte.carriageReturn where multiline:
      // A backslash ending a line removes the newline and the whitespace
      // and newlines that follow it.
      skipWhitespace()
      guard isAtNewline || isAtEnd else {
        throw error(
          "invalid escape: a backslash may only be followed by spaces if it ends the line",
          at: start)
      }
      while isAtNewline {
        try consumeNewline()
        skipWhitespace()
      }
    case Byte.lineFeed, Byte.carriageReturn:
      throw error(
        "invalid escape: a backslash at the end of a line is only allowed in a multi-line string",
        at: start)
    default:
      throw error(
        "invalid escape sequence '\\\(scalarText(at: offset))'; "
          + "write '\\\\' for a backslash, or use a 'literal string'",
        at: start)
    }
  }

  private mutating func parseUnicodeEscape(digits: Int, start: TOMLMark) throws(TOMLSyntaxError) {
    let letter = digits == 4 ? "u" : "U"
    offset += 1
    var value: UInt32 = 0
    for _ in 0..<digits {
      guard let byte = peek(), Byte.isHexDigit(byte) else {
        throw error(
          "invalid escape: '\\\(letter)' must be followed by \(digits) hexadecimal digits; "
            + "write '\\\\' for a backslash, or use a 'literal string'",
          at: start)
      }
      value = value &* 16 &+ UInt32(Byte.isDigit(byte) ? byte - Byte.zero : (byte | 0x20) - 0x57)
      offset += 1
    }
    guard let scalar = Unicode.Scalar(value) else {
      let text = String(decoding: bytes[start.offset..<offset], as: UTF8.self)
      throw error("invalid escape '\(text)': not a valid Unicode character", at: start)
    }
    UTF8.encode(scalar) { buffer.append($0) }
  }

  /// The whole Unicode scalar starting at byte `index`, for messages.
  func scalarText(at index: Int) -> String {
    guard index < bytes.count else { return "" }
    if TOMLByte.isControlOtherThanTab(bytes[index]) { return Self.scalarName(bytes[index]) }
    var end = index + 1
    while end < bytes.count, TOMLByte.isContinuation(bytes[end]) { end += 1 }
    return String(decoding: bytes[index..<end], as: UTF8.self)
  }

  private func unterminated(at start: TOMLMark, closing: String) -> TOMLSyntaxError {
    error(
      "unterminated string: the closing \(closing) is missing before the end of the line", at: start
    )
  }

  private func controlCharacter(_ byte: UInt8) -> TOMLSyntaxError {
    let name = Self.scalarName(byte)
    let escape = "\\u" + name.suffix(4)
    return error("\(name) is not allowed in a string; write it as the escape \(escape)")
  }
}
