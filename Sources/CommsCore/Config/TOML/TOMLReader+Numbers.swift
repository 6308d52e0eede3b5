extension TOMLReader {
  /// Parses an integer (decimal, `0x`, `0o`, `0b`) or a float from the bare
  /// token at `range`; `inf` and `nan` are handled by the caller.
  func parseNumber(
    _ range: Range<Int>, text: String, at start: TOMLMark
  ) throws(TOMLSyntaxError) -> TOMLValue {
    let end = range.upperBound
    var index = range.lowerBound
    let negative = bytes[index] == Byte.minus
    if negative || bytes[index] == Byte.plus { index += 1 }

    if index + 1 < end, bytes[index] == Byte.zero, let radix = Self.radix(prefix: bytes[index + 1])
    {
      guard index == range.lowerBound else {
        throw error(
          "invalid number '\(text)': hexadecimal, octal and binary numbers cannot have a sign",
          at: start)
      }
      let value = try parseInteger(
        index + 2..<end, radix: radix, negative: false, text: text, at: start)
      return .integer(value)
    }

    guard let integerEnd = digitGroup(from: index, to: end, radix: 10) else {
      throw invalidNumber(text, at: start)
    }
    if bytes[index] == Byte.zero && integerEnd - index > 1 {
      throw error(
        "invalid number '\(text)': leading zeros are not allowed (write \(Self.withoutLeadingZeros(text)))",
        at: start)
    }
    if integerEnd == end {
      let value = try parseInteger(
        index..<end, radix: 10, negative: negative, text: text, at: start)
      return .integer(value)
    }

    var cursor = integerEnd
    if bytes[cursor] == Byte.dot {
      guard let fractionEnd = digitGroup(from: cursor + 1, to: end, radix: 10) else {
        throw invalidNumber(text, at: start)
      }
      cursor = fractionEnd
    }
    if cursor < end, bytes[cursor] | 0x20 == UInt8(ascii: "e") {
      cursor += 1
      if cursor < end, bytes[cursor] == Byte.plus || bytes[cursor] == Byte.minus { cursor += 1 }
      guard let exponentEnd = digitGroup(from: cursor, to: end, radix: 10) else {
        throw invalidNumber(text, at: start)
      }
      cursor = exponentEnd
    }
    guard cursor == end else { throw invalidNumber(text, at: start) }
    let digits = String(decoding: bytes[range].lazy.filter { $0 != Byte.underscore }, as: UTF8.self)
    guard let value = Double(digits) else { throw invalidNumber(text, at: start) }
    return .float(value)
  }

  /// Accumulates the digits in `range`, checking for overflow.
  private func parseInteger(
    _ range: Range<Int>, radix: Int, negative: Bool, text: String, at start: TOMLMark
  ) throws(TOMLSyntaxError) -> Int64 {
    guard digitGroup(from: range.lowerBound, to: range.upperBound, radix: radix) == range.upperBound
    else { throw invalidNumber(text, at: start) }
    var value: Int64 = 0
    for index in range where bytes[index] != Byte.underscore {
      let byte = bytes[index]
      let digit = Int64(Byte.isDigit(byte) ? byte - Byte.zero : (byte | 0x20) - 0x57)
      let (shifted, overflowed) = value.multipliedReportingOverflow(by: Int64(radix))
      let (next, overflowedAgain) =
        negative
        ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
      if overflowed || overflowedAgain {
        throw error(
          "integer '\(text)' is out of range; integers must be between "
            + "\(Int64.min) and \(Int64.max)",
          at: start)
      }
      value = next
    }
    return value
  }

  /// Scans `DIGIT *( ["_"] DIGIT )` from `index`; returns where it ends, or
  /// nil if there is no digit or an underscore is not between two digits.
  private func digitGroup(from index: Int, to end: Int, radix: Int) -> Int? {
    guard index < end, Self.isDigit(bytes[index], radix: radix) else { return nil }
    var cursor = index + 1
    while cursor < end {
      if Self.isDigit(bytes[cursor], radix: radix) {
        cursor += 1
      } else if bytes[cursor] == Byte.underscore {
        guard cursor + 1 < end, Self.isDigit(bytes[cursor + 1], radix: radix) else { return nil }
        cursor += 2
      } else {
        break
      }
    }
    return cursor
  }

  private static func isDigit(_ byte: UInt8, radix: Int) -> Bool {
    switch radix {
    case 2: byte == Byte.zero || byte == UInt8(ascii: "1")
    case 8: byte >= Byte.zero && byte <= UInt8(ascii: "7")
    case 16: Byte.isHexDigit(byte)
    default: Byte.isDigit(byte)
    }
  }

  private static func radix(prefix: UInt8) -> Int? {
    switch prefix {
    case UInt8(ascii: "x"): 16
    case UInt8(ascii: "o"): 8
    case UInt8(ascii: "b"): 2
    default: nil
    }
  }

  private static func withoutLeadingZeros(_ text: String) -> String {
    var result = Substring(text)
    let sign = result.first == "-" || result.first == "+" ? String(result.removeFirst()) : ""
    while let first = result.first, first == "0" || first == "_",
      let next = result.dropFirst().first, next.isNumber || next == "_"
    {
      result.removeFirst()
    }
    return sign + result
  }

  private func invalidNumber(_ text: String, at start: TOMLMark) -> TOMLSyntaxError {
    var message = "invalid number '\(text)'"
    if text.contains("_") {
      message += " (an underscore must be between two digits)"
    } else if text.hasPrefix(".") || text.hasSuffix(".") || text.contains(".e")
      || text.contains(".E")
    {
      message += " (a decimal point must have digits on both sides)"
    } else {
      message += " (if this is meant as text, put it in quotes)"
    }
    return error(message, at: start)
  }
}
