extension TOMLReader {
  /// Validates an RFC 3339 style offset date-time, local date-time, local
  /// date or local time, and returns it as written with the date/time
  /// separator normalised to `T` and a `z` offset to `Z`.
  func parseDateTime(
    _ range: Range<Int>, text: String, at start: TOMLMark
  ) throws(TOMLSyntaxError) -> String {
    var scanner = TOMLDateTimeScanner(bytes: Array(bytes[range]))
    func invalid(_ reason: String) -> TOMLSyntaxError {
      error("invalid date-time '\(text)': \(reason)", at: start)
    }
    guard scanner.bytes.count > 4, scanner.bytes[4] == Byte.minus else {
      // A local time such as 07:32:00.
      if let reason = scanner.scanTime() { throw invalid(reason) }
      guard scanner.isAtEnd else { throw invalid("unexpected text after the time") }
      return text
    }
    if let reason = scanner.scanDate() { throw invalid(reason) }
    if scanner.isAtEnd { return text }
    guard scanner.replaceSeparator() else {
      throw invalid("expected 'T' or a space between the date and the time")
    }
    if let reason = scanner.scanTime() { throw invalid(reason) }
    if !scanner.isAtEnd, let reason = scanner.scanOffset() { throw invalid(reason) }
    guard scanner.isAtEnd else { throw invalid("unexpected text after the time zone offset") }
    return String(decoding: scanner.bytes, as: UTF8.self)
  }
}

/// Reads the fields of a date/time token; each `scan` method returns nil on
/// success or the reason the text is invalid.
struct TOMLDateTimeScanner: Sendable {
  var bytes: [UInt8]
  var index = 0

  var isAtEnd: Bool { index == bytes.count }

  /// `count` decimal digits as a number, or nil.
  private mutating func number(_ count: Int) -> Int? {
    guard index + count <= bytes.count else { return nil }
    var value = 0
    for offset in index..<(index + count) {
      guard TOMLByte.isDigit(bytes[offset]) else { return nil }
      value = value * 10 + Int(bytes[offset] - TOMLByte.zero)
    }
    index += count
    return value
  }

  private mutating func expect(_ byte: UInt8) -> Bool {
    guard index < bytes.count, bytes[index] == byte else { return false }
    index += 1
    return true
  }

  /// `YYYY-MM-DD`.
  mutating func scanDate() -> String? {
    guard let year = number(4), expect(TOMLByte.minus), let month = number(2),
      expect(TOMLByte.minus), let day = number(2)
    else { return "expected a date like 2024-05-27" }
    guard (1...12).contains(month) else { return "the month must be between 01 and 12" }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    guard (1...days).contains(day) else {
      return "the day must be between 01 and \(days) for that month"
    }
    return nil
  }

  /// Turns the `T`, `t` or space between date and time into `T`.
  mutating func replaceSeparator() -> Bool {
    guard index < bytes.count else { return false }
    switch bytes[index] {
    case UInt8(ascii: "T"), UInt8(ascii: "t"), TOMLByte.space:
      bytes[index] = UInt8(ascii: "T")
      index += 1
      return true
    default:
      return false
    }
  }

  /// `HH:MM:SS` with optional fractional seconds.
  mutating func scanTime() -> String? {
    guard let hour = number(2), expect(TOMLByte.colon), let minute = number(2),
      expect(TOMLByte.colon), let second = number(2)
    else { return "expected a time like 07:32:00 (seconds are required)" }
    guard hour <= 23 else { return "the hour must be between 00 and 23" }
    guard minute <= 59 else { return "the minutes must be between 00 and 59" }
    guard second <= 59 else { return "the seconds must be between 00 and 59" }
    if expect(TOMLByte.dot) {
      let fractionStart = index
      while index < bytes.count, TOMLByte.isDigit(bytes[index]) { index += 1 }
      guard index > fractionStart else { return "expected digits after the decimal point" }
    }
    return nil
  }

  /// `Z` or `+HH:MM` / `-HH:MM`; a lower case `z` becomes `Z`.
  mutating func scanOffset() -> String? {
    if bytes[index] == UInt8(ascii: "z") { bytes[index] = UInt8(ascii: "Z") }
    if expect(UInt8(ascii: "Z")) { return nil }
    guard expect(TOMLByte.plus) || expect(TOMLByte.minus), let hours = number(2),
      expect(TOMLByte.colon), let minutes = number(2)
    else { return "expected a time zone offset such as Z or +01:00" }
    guard hours <= 23, minutes <= 59 else { return "the time zone offset is out of range" }
    return nil
  }
}
