import Foundation

/// A plain-text email message, before it is rendered to bytes by ``EmailComposer``.
///
/// Addresses are validated when they are created; everything else (subject, Message-ID,
/// extra headers, recipients) is checked by ``EmailComposer/render(_:timeZone:)``, which
/// refuses the whole message rather than send a part of it altered.
public struct EmailMessage: Sendable {
  /// The author, written to the From header.
  public var from: EmailAddress
  /// The recipients, written to the To header; must not be empty.
  public var to: [EmailAddress]
  /// Where replies should go, if not to ``from``.
  public var replyTo: EmailAddress?
  /// The subject as a person reads it; any Unicode text without control characters
  /// (TAB is allowed).
  public var subject: String
  /// The plain-text body. Any line endings (LF, CR, CRLF) are allowed; they are sent as CRLF.
  public var textBody: String
  /// The Message-ID without angle brackets, e.g. "dlv_01J...@commsd.kommune.example".
  public var messageID: String
  /// The origination date, written in the time zone given to the composer.
  public var date: Date
  /// Further headers written after the MIME headers, in order, e.g.
  /// `("X-Commsd-Delivery", id)`. Names must be RFC 5322 field names and not one the
  /// composer writes itself; values follow the same rules as ``subject``.
  public var extraHeaders: [(name: String, value: String)]

  /// Creates a message; nothing is validated until it is rendered.
  public init(
    from: EmailAddress,
    to: [EmailAddress],
    replyTo: EmailAddress? = nil,
    subject: String,
    textBody: String,
    messageID: String,
    date: Date = Date(),
    extraHeaders: [(name: String, value: String)] = []
  ) {
    self.from = from
    self.to = to
    self.replyTo = replyTo
    self.subject = subject
    self.textBody = textBody
    self.messageID = messageID
    self.date = date
    self.extraHeaders = extraHeaders
  }
}
