import Foundation

/// Renders an ``EmailMessage`` to RFC 5322 / MIME bytes for SMTP DATA.
///
/// The output is a single `text/plain; charset=utf-8` part. Non-ASCII header text is sent
/// as RFC 2047 encoded-words and the body as quoted-printable, so the message is 7-bit
/// clean and needs neither 8BITMIME nor SMTPUTF8 from the relay. Header values with line
/// breaks or other control characters are refused, never stripped.
public enum EmailComposer {
  /// The complete message with CRLF line endings, ready for SMTP DATA (curl does dot-stuffing).
  ///
  /// Headers come in this order: Date, From, To, Reply-To (when set), Subject, Message-ID,
  /// MIME-Version, Content-Type, Content-Transfer-Encoding, then the extra headers.
  /// - Parameter timeZone: the zone the Date header is written in; its offset at
  ///   `message.date` is used, so daylight saving time is honoured.
  /// - Throws: ``EmailCompositionError`` for the first problem found; nothing is rendered.
  public static func render(
    _ message: EmailMessage,
    timeZone: TimeZone = SendTimeText.zone
  ) throws(EmailCompositionError) -> [UInt8] {
    try render(message, timeZone: timeZone, parts: nil)
  }

  /// The same bytes, with the body and Subject taken from `parts` when it
  /// has them (a fan-out encodes them once; see `EmailPartsCache`).
  static func render(
    _ message: EmailMessage, timeZone: TimeZone = SendTimeText.zone, parts: EmailPartsCache?
  ) throws(EmailCompositionError) -> [UInt8] {
    try validate(message)
    let body =
      parts?.body(message.textBody, encode: QuotedPrintable.encodeBody)
      ?? QuotedPrintable.encodeBody(message.textBody)
    // Written straight into the message's bytes, with room for a usual
    // header: built as one `String` first, it grew (and was copied) field
    // by field, then copied once more into the bytes (issue 25).
    var bytes: [UInt8] = []
    bytes.reserveCapacity(Self.usualHeaderSize + body.count)
    func add(_ text: String) { bytes.append(contentsOf: text.utf8) }
    add("Date: ")
    add(RFC5322Date.format(message.date, in: timeZone))
    add("\r\n")
    add(senderField("From", message.from, parts: parts))
    add(mailboxField("To", message.to))
    if let replyTo = message.replyTo {
      add(senderField("Reply-To", replyTo, parts: parts))
    }
    add(
      parts?.subject(message.subject) { unstructuredField("Subject", $0) }
        ?? unstructuredField("Subject", message.subject))
    add("Message-ID: <")
    add(message.messageID)
    add(">\r\n")
    add("MIME-Version: 1.0\r\n")
    add("Content-Type: text/plain; charset=utf-8\r\n")
    // Quoted-printable rather than base64: crisis messages in Danish are mostly ASCII,
    // so QP stays readable in logs, raw mail views and spam filters and grows the body
    // only a little (æ, ø, å cost 6 bytes each). Base64 would be smaller only for
    // mostly non-Latin text such as Arabic, where QP costs about 3x; those messages are
    // short enough for that not to matter, and one encoding keeps the path simple.
    add("Content-Transfer-Encoding: quoted-printable\r\n")
    for header in message.extraHeaders {
      add(unstructuredField(header.name, header.value))
    }
    add("\r\n")
    bytes += body
    return bytes
  }

  /// Room for a usual header (Date, From, To, Subject, Message-ID, the MIME
  /// fields and commsd's four) before the body; a longer one grows.
  static let usualHeaderSize = 1024

  /// Checks everything ``render(_:timeZone:)`` would refuse, in header order.
  /// Addresses need no check here: ``EmailAddress`` validates on creation.
  public static func validate(_ message: EmailMessage) throws(EmailCompositionError) {
    if message.to.isEmpty { throw .noRecipients }
    try HeaderSyntax.refuseControlCharacters(in: message.subject, field: "Subject")
    try HeaderSyntax.validateMessageID(message.messageID)
    for header in message.extraHeaders {
      try HeaderFieldName.validateExtra(header.name)
      try HeaderSyntax.refuseControlCharacters(in: header.value, field: header.name)
    }
  }

  private static func mailboxField(_ name: String, _ mailboxes: [EmailAddress]) -> String {
    var field = HeaderFolder(name: name)
    for (index, mailbox) in mailboxes.enumerated() {
      field.append(mailbox: mailbox, suffix: index < mailboxes.count - 1 ? "," : "")
    }
    return field.rendered
  }

  /// A From or Reply-To field, from `parts` when it has it: the same for
  /// every email of a fan-out, and a display name such as "Krisestaben,
  /// Kommune" is quoted and folded the long way.
  private static func senderField(
    _ name: String, _ mailbox: EmailAddress, parts: EmailPartsCache?
  ) -> String {
    parts?.senderField(name, mailbox) { mailboxField(name, [mailbox]) }
      ?? mailboxField(name, [mailbox])
  }

  private static func unstructuredField(_ name: String, _ value: String) -> String {
    var field = HeaderFolder(name: name)
    field.append(unstructured: value)
    return field.rendered
  }
}
