import Crypto
import Foundation

/// An email that came back, as the MTA hands it to `commsd mailgate`
/// (RFC 5322 on standard input), read into an `IncomingReply`: who sent
/// it, the `+dlv_…` tag of the address it was sent to, the thread's
/// delivery ids, the person's own text (the first text part, quoted
/// history cut), and whether it is an automatic answer.
///
/// Everything here is hostile input: the header block is read up to
/// `maxHeaderBytes` and `maxHeaders` fields, MIME nesting up to three
/// levels and 50 parts, and the text cut at `IncomingReply.maxText`.
public enum InboundMail {
  public static let maxHeaderBytes = 256 * 1024
  public static let maxHeaders = 500

  public enum Failure: Error, Equatable, CustomStringConvertible {
    /// No header block at all: not an email.
    case notAnEmail
    /// Neither a From nor an envelope sender to answer.
    case noSender

    public var description: String {
      switch self {
      case .notAnEmail: "the input is not an RFC 5322 message (no header fields)"
      case .noSender: "the message has no From address and no envelope sender"
      }
    }
  }

  /// Reads `bytes`; `recipient` is the envelope recipient the MTA names
  /// (Postfix's `${original_recipient}`), `sender` the envelope sender
  /// (empty for a bounce).
  public static func reply(_ bytes: [UInt8], recipient: String?, sender: String?) throws(Failure)
    -> IncomingReply
  {
    let (fields, body) = split(bytes)
    guard !fields.isEmpty else { throw .notAnEmail }
    func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }
    let from = field("from").flatMap(mailbox)
    let envelope = sender.flatMap { $0.isEmpty ? nil : mailbox($0) }
    guard let address = from?.address ?? envelope?.address else { throw .noSender }
    let subject = field("subject").map { Printable.line(MailDecoding.header($0), max: 300) }
    let contentType = field("content-type")
    var text = bodyText(
      body, contentType: contentType, encoding: field("content-transfer-encoding"), depth: 0)
    text = ownText(text)
    if text.count > IncomingReply.maxText {
      text = String(text.prefix(IncomingReply.maxText)) + "\n[…]"
    }
    let tagged =
      recipient.flatMap(ReplyTag.delivery(in:))
      ?? ["delivered-to", "x-original-to", "to", "cc"].lazy.compactMap { name in
        fields.filter { $0.name == name }.lazy.compactMap { ReplyTag.delivery(in: $0.value) }
          .first
      }.first
    let thread =
      messageIDs(field("in-reply-to") ?? "")
      + messageIDs(field("references") ?? "").reversed()
    let reference =
      field("message-id").flatMap { messageIDs($0, all: true).first }
      ?? "sha256:" + LowerHex.string(SHA256.hash(data: Data(bytes)))
    return IncomingReply(
      channel: .email, source: "mailgate", from: address.lowercased(),
      fromName: from?.name, subject: subject, text: text,
      reference: String(reference.prefix(200)), tag: tagged,
      thread: Array(thread.prefix(20)),
      automatic: automatic(field, subject: subject, contentType: contentType, sender: sender))
  }

  struct Field {
    var name: String
    var value: String
  }

  /// The unfolded header fields (names lower case) and the body's bytes.
  static func split(_ bytes: [UInt8]) -> (fields: [Field], body: ArraySlice<UInt8>) {
    var fields: [Field] = []
    var index = 0
    var current: (name: String, value: [UInt8])?
    func finish() {
      if let done = current, fields.count < maxHeaders {
        fields.append(
          Field(name: done.name, value: MailDecoding.text(done.value, charset: nil)))
      }
      current = nil
    }
    while index < bytes.count, index < maxHeaderBytes {
      var end = index
      while end < bytes.count, bytes[end] != 10 { end += 1 }
      var line = bytes[index..<end]
      if line.last == 13 { line = line.dropLast() }
      index = end + 1
      if line.isEmpty {
        finish()
        return (fields, bytes[min(index, bytes.count)...])
      }
      if line.first == 32 || line.first == 9 {
        // A folded continuation of the field before.
        if var folded = current, folded.value.count < 16_384 {
          folded.value += line
          current = folded
        }
        continue
      }
      finish()
      guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
        // Not a field: an mbox "From " line or garbage; the header block
        // has no such lines, so with none read yet it is no email.
        if fields.isEmpty && !line.starts(with: Array("From ".utf8)) { return ([], []) }
        continue
      }
      let name = String(decoding: line[..<colon], as: UTF8.self).trimmingCharacters(
        in: .whitespaces
      ).lowercased()
      var value = Array(line[line.index(after: colon)...])
      while value.first == 32 || value.first == 9 { value.removeFirst() }
      current = (name, value)
    }
    finish()
    return (fields, [])
  }

  /// `Name <local@domain>` or a bare address: the address and the decoded name.
  static func mailbox(_ value: String) -> (address: String, name: String?)? {
    let decoded = MailDecoding.header(value)
    var address = decoded
    var name: String?
    if let open = decoded.lastIndex(of: "<"), let close = decoded.lastIndex(of: ">"), open < close {
      address = String(decoded[decoded.index(after: open)..<close])
      let before = decoded[..<open].trimmingCharacters(in: .whitespaces)
        .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
      name = before.isEmpty ? nil : Printable.line(before, max: 200)
    }
    address = address.trimmingCharacters(in: .whitespaces)
    guard (3...254).contains(address.utf8.count), address.contains("@"),
      address.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "<" && $0 != ">" && $0 != "," }),
      !(address.first == "@" || address.last == "@")
    else { return nil }
    return (address, name)
  }

  /// The delivery ids among the `<…>` Message-IDs of `value` (commsd's
  /// own are `<dlv_…@domain>`), in order; `all` for every id as written.
  static func messageIDs(_ value: String, all: Bool) -> [String] {
    var ids: [String] = []
    var rest = Substring(value)
    while ids.count < 100, let open = rest.firstIndex(of: "<"),
      let close = rest[open...].firstIndex(of: ">")
    {
      ids.append(String(rest[rest.index(after: open)..<close]))
      rest = rest[rest.index(after: close)...]
    }
    return ids
  }

  static func messageIDs(_ value: String) -> [DeliveryID] {
    messageIDs(value, all: true).compactMap { id in
      guard let at = id.firstIndex(of: "@") else { return nil }
      let local = String(id[..<at])
      return DeliveryID.isWellFormed(local) ? DeliveryID(rawValue: local) : nil
    }
  }

  /// The text of a body: the first `text/plain` part (else the first
  /// `text/html` part with its tags taken out), decoded.
  static func bodyText(
    _ body: ArraySlice<UInt8>, contentType: String?, encoding: String?, depth: Int
  ) -> String {
    let type = MailDecoding.mediaType(contentType)
    if type.hasPrefix("multipart/"), depth < 3,
      let boundary = contentType.flatMap({ MailDecoding.parameter("boundary", in: $0) }),
      (1...200).contains(boundary.utf8.count)
    {
      let parts = multipartParts(body, boundary: boundary)
      var html: String?
      for part in parts.prefix(50) {
        let (fields, partBody) = split(Array(part))
        let partType = fields.first { $0.name == "content-type" }?.value
        let partEncoding = fields.first { $0.name == "content-transfer-encoding" }?.value
        let media = MailDecoding.mediaType(partType)
        if media.isEmpty || media == "text/plain" || media.hasPrefix("multipart/") {
          let text = bodyText(
            partBody, contentType: partType, encoding: partEncoding, depth: depth + 1)
          if !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return text }
        } else if media == "text/html", html == nil {
          html = bodyText(partBody, contentType: partType, encoding: partEncoding, depth: depth + 1)
        }
      }
      return html ?? ""
    }
    guard type.isEmpty || type.hasPrefix("text/") || type.hasPrefix("multipart/") else { return "" }
    let bytes: [UInt8]
    switch encoding?.trimmingCharacters(in: .whitespaces).lowercased() {
    case "base64": bytes = MailDecoding.base64(Array(body))
    case "quoted-printable": bytes = MailDecoding.quotedPrintable(Array(body))
    default: bytes = Array(body)
    }
    let text = MailDecoding.text(
      bytes, charset: contentType.flatMap { MailDecoding.parameter("charset", in: $0) })
    return type == "text/html" ? withoutTags(text) : text
  }

  /// The parts between `--boundary` lines.
  static func multipartParts(_ body: ArraySlice<UInt8>, boundary: String) -> [ArraySlice<UInt8>] {
    let marker = Array("--\(boundary)".utf8)
    var parts: [ArraySlice<UInt8>] = []
    var start: Int?
    var index = body.startIndex
    while index < body.endIndex, parts.count < 100 {
      var end = index
      while end < body.endIndex, body[end] != 10 { end += 1 }
      let line = body[index..<end]
      if line.starts(with: marker) {
        if let start { parts.append(body[start..<index]) }
        let rest = line.dropFirst(marker.count)
        if rest.starts(with: [45, 45]) { return parts }  // the closing "--boundary--"
        start = end + 1 <= body.endIndex ? end + 1 : body.endIndex
      }
      index = end + 1
    }
    if let start, start < body.endIndex { parts.append(body[start...]) }
    return parts
  }

  static func withoutTags(_ html: String) -> String {
    var text = ""
    var inTag = false
    for character in html.prefix(200_000) {
      if character == "<" {
        inTag = true
      } else if character == ">" {
        inTag = false
        text.append(" ")
      } else if !inTag {
        text.append(character)
      }
    }
    return text.replacingOccurrences(of: "&nbsp;", with: " ").replacingOccurrences(
      of: "&amp;", with: "&")
  }

  /// The person's own words: the text before the quoted history (lines
  /// starting with `>`, "On … wrote:", "Den … skrev:", Outlook's header
  /// block); the whole text when that would leave nothing.
  static func ownText(_ text: String) -> String {
    var kept: [Substring] = []
    // "\r\n" is one Character: split on every kind of line end.
    for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
      let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
      let lower = trimmed.lowercased()
      if trimmed.hasPrefix(">")
        || (lower.hasSuffix(":") && lower.hasPrefix("on ") && lower.contains(" wrote"))
        || (lower.hasSuffix(":") && lower.hasPrefix("den ") && lower.contains(" skrev"))
        || lower.hasPrefix("-----original message-----")
        || lower.hasPrefix("-----oprindelig meddelelse-----")
        || lower.hasPrefix("from: ") || lower.hasPrefix("fra: ")
      {
        break
      }
      kept.append(line)
    }
    let own = kept.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    return own.isEmpty ? text.trimmingCharacters(in: .whitespacesAndNewlines) : own
  }

  /// Why the message is an automatic answer (RFC 3834's Auto-Submitted,
  /// the headers of common autoresponders, a delivery report, a bounce's
  /// empty envelope sender, an out-of-office subject), or nil.
  static func automatic(
    _ field: (String) -> String?, subject: String?, contentType: String?, sender: String?
  ) -> String? {
    if let value = field("auto-submitted")?.lowercased(), !value.hasPrefix("no") {
      return "auto-submitted: \(Printable.line(value, max: 40))"
    }
    if field("x-autoreply") != nil || field("x-autorespond") != nil {
      return "autoresponder"
    }
    if let precedence = field("precedence")?.lowercased().trimmingCharacters(in: .whitespaces),
      ["auto_reply", "bulk", "junk", "list"].contains(precedence)
    {
      return "precedence: \(precedence)"
    }
    if MailDecoding.mediaType(contentType) == "multipart/report" { return "delivery report" }
    if sender == "" || sender == "<>" { return "bounce (empty envelope sender)" }
    if let from = field("from")?.lowercased(),
      from.contains("mailer-daemon@") || from.contains("postmaster@")
    {
      return "bounce (\(from.contains("mailer-daemon") ? "mailer-daemon" : "postmaster"))"
    }
    let lower = subject?.lowercased() ?? ""
    for prefix in [
      "out of office", "automatic reply", "auto-reply", "autoreply", "autosvar",
      "automatisk svar", "fraværende", "abwesenheitsnotiz", "undeliverable",
      "delivery status notification", "returned mail",
    ] where lower.hasPrefix(prefix) {
      return "subject: \(prefix)"
    }
    return nil
  }
}
