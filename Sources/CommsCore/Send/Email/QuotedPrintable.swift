/// RFC 2045 §6.7 quoted-printable encoding of a UTF-8 text body.
///
/// Line breaks in the text (LF, CR or CRLF) become CRLF hard breaks; every encoded line,
/// soft-broken ones included, is at most ``lineLimit`` characters. A soft break never
/// falls inside an `=XX` escape or between the bytes of one UTF-8 sequence, so each
/// line decodes to valid UTF-8 on its own. Spaces and tabs at the end of a line are
/// encoded so transports that strip trailing white space cannot change the text.
enum QuotedPrintable {
  /// RFC 2045: encoded lines are at most 76 characters, excluding the CRLF.
  static let lineLimit = 76

  /// The encoded body, each line ending in CRLF; empty for empty text. A text that does
  /// not end in a line break gets a final CRLF, as a message body must.
  static func encodeBody(_ text: String) -> [UInt8] {
    var output: [UInt8] = []
    for line in lines(of: text) {
      encode(line: line, into: &output)
    }
    return output
  }

  /// Splits `text` at LF, CR and CRLF; a break at the very end does not start a new line.
  static func lines(of text: String) -> [[Unicode.Scalar]] {
    var lines: [[Unicode.Scalar]] = []
    var current: [Unicode.Scalar] = []
    var afterCR = false
    for scalar in text.unicodeScalars {
      if scalar == "\n" && afterCR {
        afterCR = false
        continue
      }
      afterCR = scalar == "\r"
      if scalar == "\r" || scalar == "\n" {
        lines.append(current)
        current = []
      } else {
        current.append(scalar)
      }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
  }

  /// Appends one hard line, soft-broken as needed, followed by CRLF.
  private static func encode(line: [Unicode.Scalar], into output: inout [UInt8]) {
    // A line starting "From " is mangled to ">From " by mbox-style transports; encoding
    // its "F" keeps the text intact.
    let escapeLeadingF = line.starts(with: "From ".unicodeScalars)
    var lineLength = 0
    for (index, scalar) in line.enumerated() {
      let isLast = index == line.count - 1
      let unit = encodedUnit(scalar, isLast: isLast, forceEscape: escapeLeadingF && index == 0)
      // Leave room for the "=" of a soft break unless this unit ends the line.
      let limit = isLast ? lineLimit : lineLimit - 1
      if lineLength + unit.count > limit {
        output += Array("=\r\n".utf8)
        lineLength = 0
      }
      output += unit
      lineLength += unit.count
    }
    output += Array("\r\n".utf8)
  }

  /// The encoding of one scalar: itself when printable ASCII (or a space or tab not ending
  /// the line), otherwise `=XX` for each of its UTF-8 bytes.
  private static func encodedUnit(
    _ scalar: Unicode.Scalar,
    isLast: Bool,
    forceEscape: Bool
  ) -> [UInt8] {
    let value = scalar.value
    let literal =
      !forceEscape
      && ((33...126).contains(value) && scalar != "="
        || (scalar == " " || scalar == "\t") && !isLast)
    if literal { return [UInt8(value)] }
    var unit: [UInt8] = []
    for byte in scalar.utf8 {
      unit.append(UInt8(ascii: "="))
      unit += Array(Hex.byte(byte).utf8)
    }
    return unit
  }
}
