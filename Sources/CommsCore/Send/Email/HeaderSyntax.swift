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
    if text.unicodeScalars.contains(where: isForbidden) {
      throw .headerInjection(field: field)
    }
  }

  /// RFC 5322 `atext`: the characters of an atom.
  static func isAtext(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar {
    case "a"..."z", "A"..."Z", "0"..."9": return true
    default: return "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
    }
  }

  /// Whether `text` is an RFC 5322 `dot-atom-text`: atoms joined by single dots.
  static func isDotAtomText(_ text: Substring) -> Bool {
    let atoms = text.split(separator: ".", omittingEmptySubsequences: false)
    return atoms.allSatisfy { atom in
      !atom.isEmpty && atom.unicodeScalars.allSatisfy(isAtext)
    }
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
    if !messageID.unicodeScalars.allSatisfy(\.isASCII) {
      throw refuse("it contains non-ASCII characters")
    }
    if messageID.utf8.count > 250 { throw refuse("it is longer than 250 characters") }
    let parts = messageID.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count == 2 else { throw refuse("it must contain exactly one @") }
    guard isDotAtomText(parts[0]), isDotAtomText(parts[1]) else {
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
