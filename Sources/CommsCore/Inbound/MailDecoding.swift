import Foundation

/// The decodings an incoming email needs: transfer encodings (base64,
/// quoted-printable), charsets (UTF-8, Latin-1 and Windows-1252, which
/// Danish mail clients still write), and RFC 2047 encoded-words in headers.
/// Every input is the outside world's: malformed pieces are kept as they
/// are (or dropped), never trapped on.
enum MailDecoding {
  /// `bytes` as text in `charset` (nil: UTF-8); invalid UTF-8 is repaired.
  static func text(_ bytes: [UInt8], charset: String?) -> String {
    switch charset?.lowercased() {
    case "iso-8859-1", "latin1", "iso-8859-15", "us-ascii", "ascii":
      return String(decoding: bytes.map { UInt16($0) }, as: UTF16.self)
    case "windows-1252", "cp1252":
      return String(data: Data(bytes), encoding: .windowsCP1252)
        ?? String(decoding: bytes, as: UTF8.self)
    default:
      return String(decoding: bytes, as: UTF8.self)
    }
  }

  /// Base64 with any line breaks and junk between the characters ignored.
  static func base64(_ bytes: [UInt8]) -> [UInt8] {
    let kept = bytes.filter {
      ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 43
        || $0 == 47
    }
    let padded = kept + Array(repeating: UInt8(ascii: "="), count: (4 - kept.count % 4) % 4)
    return Data(base64Encoded: Data(padded)).map(Array.init) ?? []
  }

  /// Quoted-printable (RFC 2045 §6.7); `underscoreIsSpace` for RFC 2047's Q.
  static func quotedPrintable(_ bytes: [UInt8], underscoreIsSpace: Bool = false) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "="), index + 1 < bytes.count {
        // A soft line break: "=" at the end of a line.
        if bytes[index + 1] == 10 {
          index += 2
          continue
        }
        if bytes[index + 1] == 13, index + 2 < bytes.count, bytes[index + 2] == 10 {
          index += 3
          continue
        }
        if index + 2 < bytes.count, let high = LowerHex.value(bytes[index + 1]),
          let low = LowerHex.value(bytes[index + 2])
        {
          output.append(high << 4 | low)
          index += 3
          continue
        }
      }
      output.append(underscoreIsSpace && byte == UInt8(ascii: "_") ? 32 : byte)
      index += 1
    }
    return output
  }

  /// A header value with its RFC 2047 encoded-words decoded (blanks
  /// between two encoded-words dropped, as the RFC says); at most 64
  /// words are decoded, the rest stay as written.
  static func header(_ value: String) -> String {
    guard HeaderSyntax.containsEncodedWordStart(value) else { return value }
    var result = ""
    var rest = Substring(value)
    var lastWasEncoded = false
    var decoded = 0
    while decoded < 64, let start = rest.range(of: "=?") {
      let before = rest[..<start.lowerBound]
      guard let word = encodedWord(rest[start.lowerBound...]) else {
        result += rest[..<start.upperBound]
        rest = rest[start.upperBound...]
        lastWasEncoded = false
        continue
      }
      // Blanks between two encoded-words vanish (RFC 2047 §6.2).
      if !(lastWasEncoded && before.allSatisfy({ $0 == " " || $0 == "\t" })) {
        result += before
      }
      result += word.text
      decoded += 1
      lastWasEncoded = true
      rest = rest[word.end...]
    }
    return result + rest
  }

  /// `=?charset?B|Q?text?=` at the start of `text`, decoded.
  private static func encodedWord(_ text: Substring) -> (text: String, end: Substring.Index)? {
    let parts = text.dropFirst(2).split(
      separator: "?", maxSplits: 3, omittingEmptySubsequences: false)
    guard parts.count == 4, parts[3].hasPrefix("="), parts[0].count <= 40, parts[2].count <= 1000
    else { return nil }
    let charset = parts[0].split(separator: "*").first.map(String.init)  // RFC 2231 language
    let encoded = Array(parts[2].utf8)
    let bytes: [UInt8]
    switch parts[1].lowercased() {
    case "b": bytes = base64(encoded)
    case "q": bytes = quotedPrintable(encoded, underscoreIsSpace: true)
    default: return nil
    }
    return (self.text(bytes, charset: charset), parts[3].index(after: parts[3].startIndex))
  }

  /// `Content-Type` parameters, e.g. `charset` or `boundary`, lower-case names.
  static func parameter(_ name: String, in value: String) -> String? {
    for part in value.split(separator: ";").dropFirst() {
      let pair = part.split(separator: "=", maxSplits: 1)
      guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == name
      else { continue }
      var parameter = pair[1].trimmingCharacters(in: .whitespaces)
      if parameter.hasPrefix("\""), parameter.hasSuffix("\""), parameter.count >= 2 {
        parameter = String(parameter.dropFirst().dropLast())
      }
      return parameter
    }
    return nil
  }

  /// The media type of a `Content-Type` value, lower case (`text/plain`).
  static func mediaType(_ value: String?) -> String {
    (value?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "")
      .lowercased()
  }
}
