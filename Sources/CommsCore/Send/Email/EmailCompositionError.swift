/// Why an email message could not be composed.
///
/// Every case is a refusal of input the composer will not put on the wire; nothing is
/// silently stripped or rewritten. ``description`` is written to be shown to an operator.
public enum EmailCompositionError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A header value, display name or address contains CR, LF or another control
  /// character (TAB is allowed in header values). `field` names where: "Subject",
  /// "Message-ID", an extra header's name such as "X-Commsd-Delivery", or "display name" /
  /// "address" when an ``EmailAddress`` is being built.
  case headerInjection(field: String)
  /// The address cannot be used; `reason` says why in plain words.
  case invalidAddress(String, reason: String)
  /// An extra header's name is not an RFC 5322 field name (printable ASCII except
  /// colon, at most ``HeaderFieldName/maximumLength`` characters).
  case invalidHeaderName(String)
  /// An extra header would duplicate or override one the composer writes itself, or
  /// one that changes who appears to receive the message (Cc, Bcc).
  case reservedHeaderName(String)
  /// The Message-ID cannot be used; `reason` says why.
  case invalidMessageID(String, reason: String)
  /// The message has no To recipients.
  case noRecipients

  public var description: String {
    switch self {
    case .headerInjection(let field):
      return "the \(field) contains a line break or other control character; "
        + "header injection is refused"
    case .invalidAddress(let address, let reason):
      return "\(String(reflecting: address)) is not a usable email address: \(reason)"
    case .invalidHeaderName(let name):
      return "\(String(reflecting: name)) is not a valid header field name: it must be "
        + "1 to \(HeaderFieldName.maximumLength) printable ASCII characters, without "
        + "spaces or a colon"
    case .reservedHeaderName(let name):
      return "\(String(reflecting: name)) cannot be set as an extra header: the composer "
        + "writes it itself or it would change the visible recipients"
    case .invalidMessageID(let messageID, let reason):
      return "\(String(reflecting: messageID)) is not a usable Message-ID: \(reason)"
    case .noRecipients:
      return "the message has no recipients; at least one To address is required"
    }
  }
}
