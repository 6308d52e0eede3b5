/// Character classes and checks from RFC 5322 shared by addresses, header names and values.
enum HeaderSyntax {
  /// Whether `scalar` may never appear in a header value, display name or address:
  /// C0 controls except TAB, DEL, C1 controls (which include NEL) and the Unicode line
  /// and paragraph separators. Any of these could end a header line in some consumer.
  static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09: return false
    case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: return true
    default: return false
    }
  }

  /// Refuses `text` with ``EmailCompositionError/headerInjection(field:)`` naming `field`
  /// when it contains a character that ``isForbidden(_:)``.
  static func refuseControlCharacters(
    in text: String,
    field: String
  ) throws(EmailCompositionError) {
    // Printable ASCII and TAB, the common case, is read as bytes.
    if isPrintableASCII(text, orTab: true) { return }
    if text.unicodeScalars.contains(where: isForbidden) {
      throw .headerInjection(field: field)
    }
  }

  /// Whether every byte of `text` is printable ASCII (space to `~`), or a TAB
  /// when `orTab`.
  static func isPrintableASCII(_ text: some StringProtocol, orTab: Bool = false) -> Bool {
    text.utf8.allSatisfy { (0x20...0x7E).contains($0) || (orTab && $0 == 0x09) }
  }

  /// Whether `text` contains `=?`, the start of an encoded-word (read as bytes;
  /// `String.contains` with Foundation imported searches through `NSString`).
  static func containsEncodedWordStart(_ text: some StringProtocol) -> Bool {
    var previous: UInt8 = 0
    for byte in text.utf8 {
      if previous == UInt8(ascii: "=") && byte == UInt8(ascii: "?") { return true }
      previous = byte
    }
    return false
  }

  /// RFC 5322 `atext`, the characters of an atom, for one byte of UTF-8 (no byte of a
  /// non-ASCII character is `atext`).
  static func isAtext(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"):
      return true
    default: return atextSymbols.contains(byte)
    }
  }
  private static let atextSymbols = Set("!#$%&'*+-/=?^_`{|}~".utf8)

  /// Whether `text` is an RFC 5322 `dot-atom-text`: atoms joined by single dots.
  /// Read as bytes: every email's address and Message-ID pass here.
  static func isDotAtomText(_ text: Substring) -> Bool {
    var atomLength = 0
    for byte in text.utf8 {
      if byte == UInt8(ascii: ".") {
        guard atomLength > 0 else { return false }
        atomLength = 0
      } else {
        guard isAtext(byte) else { return false }
        atomLength += 1
      }
    }
    return atomLength > 0
  }

  /// `text` split at its only `@`, or nil when it has none or more than one.
  static func splitAtTheOnlyAt(_ text: String) -> (local: Substring, domain: Substring)? {
    let utf8 = text.utf8
    guard let at = utf8.firstIndex(of: UInt8(ascii: "@")) else { return nil }
    let after = utf8.index(after: at)
    guard !utf8[after...].contains(UInt8(ascii: "@")) else { return nil }
    return (text[..<at], text[after...])
  }

  /// Validates a Message-ID given without angle brackets: `dot-atom-text "@" dot-atom-text`.
  static func validateMessageID(_ messageID: String) throws(EmailCompositionError) {
    try refuseControlCharacters(in: messageID, field: "Message-ID")
    func refuse(_ reason: String) -> EmailCompositionError {
      .invalidMessageID(messageID, reason: reason)
    }
    if messageID.isEmpty { throw refuse("it is empty") }
    if messageID.hasPrefix("<") || messageID.hasSuffix(">") {
      throw refuse("give it without angle brackets; the composer adds them")
    }
    if !messageID.utf8.allSatisfy({ $0 < 0x80 }) {
      throw refuse("it contains non-ASCII characters")
    }
    if messageID.utf8.count > 250 { throw refuse("it is longer than 250 characters") }
    guard let parts = splitAtTheOnlyAt(messageID) else {
      throw refuse("it must contain exactly one @")
    }
    guard isDotAtomText(parts.local), isDotAtomText(parts.domain) else {
      throw refuse("both sides of the @ must be dots and letters, digits or !#$%&'*+-/=?^_`{|}~")
    }
  }
}

/// RFC 5322 field names, and the ones an extra header may not use.
enum HeaderFieldName {
  /// Longest accepted extra header name. RFC 5322 sets no limit; this one leaves room on
  /// the first line for the name, ": " and a minimal encoded-word within 78 characters.
  static let maximumLength = 50

  /// Headers the composer writes itself, plus Cc and Bcc, lowercased.
  static let reserved: Set<String> = [
    "date", "from", "to", "reply-to", "subject", "message-id", "mime-version",
    "content-type", "content-transfer-encoding", "cc", "bcc",
  ]

  /// Validates `name` as an extra header name: RFC 5322 `ftext` (printable ASCII except
  /// colon), not too long, and not ``reserved``.
  static func validateExtra(_ name: String) throws(EmailCompositionError) {
    let valid =
      !name.isEmpty && name.utf8.count <= maximumLength
      && name.utf8.allSatisfy { (33...126).contains($0) && $0 != UInt8(ascii: ":") }
    guard valid else { throw .invalidHeaderName(name) }
    guard !reserved.contains(name.lowercased()) else { throw .reservedHeaderName(name) }
  }
}
