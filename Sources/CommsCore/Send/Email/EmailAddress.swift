/// An RFC 5322 mailbox: optional display name and an addr-spec.
///
/// Both initialisers validate, so every value of this type is safe to put in a header:
/// the address is a plain ASCII `dot-atom@domain` and the display name holds no line
/// break or other control character. Quoting and RFC 2047 encoding of the display name
/// happen when a message is rendered.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
  /// The display name as a person reads it (unquoted, not encoded); `nil` when absent.
  public let displayName: String?
  /// The addr-spec, `local@domain`.
  public let address: String

  /// Longest accepted local part, in octets (RFC 5321 §4.5.3.1.1).
  public static let maximumLocalPartLength = 64
  /// Longest accepted address, in octets (RFC 5321 path limit less the angle brackets).
  public static let maximumAddressLength = 254

  /// Creates a mailbox from a bare `local@domain` and an optional display name.
  ///
  /// An empty display name is treated as none.
  /// - Throws: ``EmailCompositionError/invalidAddress(_:reason:)`` for an unusable address,
  ///   ``EmailCompositionError/headerInjection(field:)`` with field "address" or
  ///   "display name" for a control character.
  public init(address: String, displayName: String? = nil) throws(EmailCompositionError) {
    try Self.validate(address: address)
    if let displayName {
      try HeaderSyntax.refuseControlCharacters(in: displayName, field: "display name")
    }
    self.address = address
    self.displayName = displayName?.isEmpty == false ? displayName : nil
  }

  /// Parses "Name <local@domain>", "\"Name, Inc\" <a@b>" or a bare "local@domain".
  ///
  /// Spaces and tabs around the whole text and around the display name are ignored.
  /// RFC 2047 encoded-words and comments are not interpreted; they stay literal text.
  public init(parsing text: String) throws(EmailCompositionError) {
    let trimmed = Self.trimmingBlanks(Substring(text))
    guard trimmed.hasSuffix(">") else {
      try self.init(address: String(trimmed))
      return
    }
    let scalars = trimmed.unicodeScalars
    var openIndex: String.UnicodeScalarView.Index?
    var inQuotes = false
    var escaped = false
    for index in scalars.indices {
      let scalar = scalars[index]
      if escaped {
        escaped = false
      } else if inQuotes {
        if scalar == "\\" { escaped = true } else if scalar == "\"" { inQuotes = false }
      } else if scalar == "\"" {
        inQuotes = true
      } else if scalar == "<" {
        guard openIndex == nil else {
          throw .invalidAddress(text, reason: "it has more than one <")
        }
        openIndex = index
      }
    }
    guard !inQuotes, let openIndex else {
      throw .invalidAddress(text, reason: "its quotes or angle brackets are unbalanced")
    }
    let inner = scalars[scalars.index(after: openIndex)..<scalars.index(before: scalars.endIndex)]
    let name = try Self.parseDisplayName(
      Self.trimmingBlanks(Substring(scalars[..<openIndex])),
      in: text
    )
    try self.init(address: String(inner), displayName: name)
  }

  /// The part after the `@`.
  public var domain: Substring {
    address[address.index(after: address.lastIndex(of: "@")!)...]
  }

  /// The mailbox as a person would write it, e.g. `"Hansen, Jens" <jens@x.dk>`; display
  /// names are quoted when needed but never encoded. ``init(parsing:)`` reads it back.
  public var description: String {
    guard let displayName else { return address }
    let plain =
      displayName.first != " " && displayName.last != " "
      && !displayName.unicodeScalars.contains { "()<>[]:;@\\,.\"\t".unicodeScalars.contains($0) }
    let name = plain ? displayName : Self.quoted(displayName)
    return "\(name) <\(address)>"
  }

  /// `text` as an RFC 5322 quoted-string, with `\` and `"` escaped.
  static func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      if scalar == "\\" || scalar == "\"" { result.unicodeScalars.append("\\") }
      result.unicodeScalars.append(scalar)
    }
    return result + "\""
  }

  private static func trimmingBlanks(_ text: Substring) -> Substring {
    let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    guard let first = text.firstIndex(where: { !isBlank($0) }),
      let last = text.lastIndex(where: { !isBlank($0) })
    else { return "" }
    return text[first...last]
  }

  /// Reads the display-name part of `text` (everything before the `<`), which is either
  /// one quoted-string or unquoted text without quotes or angle brackets.
  private static func parseDisplayName(
    _ part: Substring,
    in text: String
  ) throws(EmailCompositionError) -> String? {
    guard !part.isEmpty else { return nil }
    guard part.first == "\"" else {
      if part.utf8.contains(UInt8(ascii: "\"")) {
        throw .invalidAddress(text, reason: "the display name has a stray quote; quote all of it")
      }
      if part.utf8.contains(UInt8(ascii: ">")) {
        throw .invalidAddress(text, reason: "the display name contains an unquoted >")
      }
      return String(part)
    }
    var name = ""
    var escaped = false
    var scalars = part.unicodeScalars.dropFirst()
    while let scalar = scalars.popFirst() {
      if escaped {
        name.unicodeScalars.append(scalar)
        escaped = false
      } else if scalar == "\\" {
        escaped = true
      } else if scalar == "\"" {
        guard scalars.isEmpty else {
          throw .invalidAddress(text, reason: "there is text after the quoted display name")
        }
        return name
      } else {
        name.unicodeScalars.append(scalar)
      }
    }
    throw .invalidAddress(text, reason: "the quoted display name is not closed")
  }

  /// Checks `address` is an ASCII `dot-atom-text@domain` within the length limits.
  private static func validate(address: String) throws(EmailCompositionError) {
    try HeaderSyntax.refuseControlCharacters(in: address, field: "address")
    func refuse(_ reason: String) -> EmailCompositionError {
      .invalidAddress(address, reason: reason)
    }
    if address.isEmpty { throw refuse("it is empty") }
    let bytes = address.utf8
    if !bytes.allSatisfy({ $0 < 0x80 }) {
      throw refuse(
        "it contains non-ASCII characters; internationalised addresses are not supported "
          + "(write the domain in its xn-- form)")
    }
    if bytes.contains(UInt8(ascii: " ")) || bytes.contains(UInt8(ascii: "\t")) {
      throw refuse("it contains white space")
    }
    if bytes.contains(UInt8(ascii: "<")) || bytes.contains(UInt8(ascii: ">")) {
      throw refuse("it contains an angle bracket; give the bare local@domain")
    }
    if address.utf8.count > maximumAddressLength {
      throw refuse("it is longer than \(maximumAddressLength) characters")
    }
    guard let (local, domain) = HeaderSyntax.splitAtTheOnlyAt(address) else {
      throw refuse("it must contain exactly one @")
    }
    if local.isEmpty { throw refuse("the part before the @ is empty") }
    if local.utf8.count > maximumLocalPartLength {
      throw refuse("the part before the @ is longer than \(maximumLocalPartLength) characters")
    }
    if !HeaderSyntax.isDotAtomText(local) {
      throw refuse(
        "the part before the @ may hold only letters, digits, single inner dots and "
          + "!#$%&'*+-/=?^_`{|}~ (quoted local parts are not supported)")
    }
    if domain.isEmpty { throw refuse("the domain after the @ is empty") }
    // Label by label, as bytes (the address is ASCII by now): it is checked
    // again for every email composed, where splitting the domain into
    // substrings and reading their scalars showed in profiles (issue 25).
    let utf8 = domain.utf8
    var start = utf8.startIndex
    while true {
      let end = utf8[start...].firstIndex(of: UInt8(ascii: ".")) ?? utf8.endIndex
      let label = utf8[start..<end]
      if label.isEmpty {
        throw refuse("the domain has an empty label (a leading, trailing or double dot)")
      }
      if label.count > 63 { throw refuse("a domain label is longer than 63 characters") }
      if !label.allSatisfy(isLetterDigitOrHyphen) {
        throw refuse("the domain may hold only letters, digits, hyphens and dots")
      }
      if label.first == UInt8(ascii: "-") || label.last == UInt8(ascii: "-") {
        throw refuse("a domain label starts or ends with a hyphen")
      }
      guard end < utf8.endIndex else { break }
      start = utf8.index(after: end)
    }
  }

  /// A domain label's letters, digits and hyphens (LDH), as bytes.
  private static func isLetterDigitOrHyphen(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
      true
    default: false
    }
  }
}
