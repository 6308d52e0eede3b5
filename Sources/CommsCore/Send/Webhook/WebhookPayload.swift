import Foundation

/// The JSON body of a webhook delivery (version 1). It holds everything a
/// gateway needs (an SMS gateway reads `contact` as the phone number), and it
/// is the same bytes on every retry: attempt-specific data travels in headers.
public struct WebhookPayload: Sendable, Codable, Equatable {
  /// The recipient as named in the directory.
  public struct Recipient: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
  }

  public var type = "commsd.message.v1"
  public var messageID: String
  public var deliveryID: String
  public var audience: String
  public var audienceName: String
  public var priority: String
  public var kind: String
  public var kindLabel: String
  public var language: String
  /// The audience's bulletin number: a reader who sees #12 after #10 knows one is missing.
  public var bulletin: Int
  /// The subject and body as the reader should see them: in their language,
  /// with the audience's subject format, header, footer and signature.
  public var subject: String
  public var body: String
  /// Where questions go (the audience's Reply-To), if configured.
  public var replyTo: String?
  public var recipient: Recipient
  /// The contact's address on the endpoint (phone number, channel id, user), may be empty.
  public var contact: String
  public var acceptedAt: Date
  /// `exercise`, `test` or `system` for a message that is not real; absent when it is.
  public var mode: String?
  /// The bulletin this reader already got and this message supersedes.
  public var updatesBulletin: Int?
  /// The message this one supersedes.
  public var supersedes: String?
  /// For a retraction: the message withdrawn.
  public var retractionOf: String?
  /// When the message stops being worth delivering.
  public var expiresAt: Date?
  /// On the handlers' copy of a question (`type` `commsd.inquiry.v1`): the
  /// inquiry as data: id, who asked (person, unit, language), the bulletin
  /// it answers, the channel and the text.
  public var inquiry: InquiryNotice?

  enum CodingKeys: String, CodingKey {
    case type, audience, priority, kind, language, subject, body, recipient, contact, bulletin
    case kindLabel = "kind_label"
    case replyTo = "reply_to"
    case messageID = "message_id"
    case deliveryID = "delivery_id"
    case audienceName = "audience_name"
    case acceptedAt = "accepted_at"
    case mode, supersedes
    case updatesBulletin = "updates_bulletin"
    case retractionOf = "retraction_of"
    case expiresAt = "expires_at"
    case inquiry
  }

  public init(delivery: Delivery, message: Message, audience: Audience?) {
    self.init(
      delivery: delivery, message: message, audience: audience,
      rendered: DeliveryContent.render(delivery, message, audience: audience))
  }

  init(delivery: Delivery, message: Message, audience: Audience?, rendered: RenderedMessage) {
    let language = message.content(for: delivery.language).language
    messageID = message.id.rawValue
    deliveryID = delivery.id.rawValue
    self.audience = delivery.audience
    audienceName = audience?.displayName(in: language) ?? delivery.audience
    priority = message.priority.rawValue
    kind = message.kind.rawValue
    kindLabel = KindLabels.label(message.kind, language: language)
    self.language = language
    bulletin = delivery.bulletin
    subject = rendered.subject
    body = rendered.body
    replyTo = audience?.template.replyTo
    recipient = Recipient(id: delivery.recipientID, name: delivery.recipientName)
    contact = delivery.contact.address
    acceptedAt = message.acceptedAt
    mode = message.mode == .actual ? nil : message.mode.rawValue
    updatesBulletin = delivery.updatesBulletin
    supersedes = message.supersedes?.rawValue
    retractionOf = message.retractionOf?.rawValue
    expiresAt = message.expiresAt
    if let notice = message.inquiry, notice.role == .forward || notice.role == .reminder {
      type = "commsd.inquiry.v1"
      inquiry = notice
    }
  }
}

extension WebhookPayload {
  /// The JSON body, written directly (see `JSONWriter`); the same bytes as
  /// `JSONCoding.encoder().encode(self)`.
  public func encoded() -> [UInt8] {
    frame().body(
      contact: contact, deliveryID: deliveryID, recipientID: recipient.id,
      recipientName: recipient.name)
  }

  /// The body with the four per-recipient values left as holes: the rest
  /// is the same for every recipient of the message in one audience and
  /// language, so a fan-out writes it once (see `RenderCache`).
  func frame() -> WebhookBodyFrame {
    var writer = JSONWriter(capacity: 384 + subject.utf8.count + body.utf8.count)
    var pieces: [[UInt8]] = []
    // A member whose value is left out: the bytes so far become a piece.
    func hole(_ key: String) {
      writer.key(key)
      pieces.append(writer.cut())
      writer.endMember()
    }
    writer.beginObject()
    writer.member("accepted_at", Timestamp.format(acceptedAt))
    writer.member("audience", audience)
    writer.member("audience_name", audienceName)
    writer.member("body", body)
    writer.member("bulletin", bulletin)
    hole("contact")
    hole("delivery_id")
    if let expiresAt { writer.member("expires_at", Timestamp.format(expiresAt)) }
    if let inquiry { writer.member("inquiry", json: JSONCoding.string(inquiry)) }
    writer.member("kind", kind)
    writer.member("kind_label", kindLabel)
    writer.member("language", language)
    writer.member("message_id", messageID)
    if let mode { writer.member("mode", mode) }
    writer.member("priority", priority)
    writer.key("recipient")
    writer.beginObject()
    hole("id")
    hole("name")
    writer.endObject()
    writer.endMember()
    if let replyTo { writer.member("reply_to", replyTo) }
    if let retractionOf { writer.member("retraction_of", retractionOf) }
    writer.member("subject", subject)
    if let supersedes { writer.member("supersedes", supersedes) }
    writer.member("type", type)
    if let updatesBulletin { writer.member("updates_bulletin", updatesBulletin) }
    writer.endObject()
    pieces.append(writer.cut())
    return WebhookBodyFrame(pieces: pieces)
  }
}

/// A commsd webhook body with holes for the recipient's own values: the
/// contact, the delivery id, the recipient's id and name (in that order).
struct WebhookBodyFrame: Sendable {
  /// Five pieces around the four holes.
  let pieces: [[UInt8]]
  /// Their bytes together, counted once rather than for every body.
  let size: Int

  init(pieces: [[UInt8]]) {
    self.pieces = pieces
    size = pieces.reduce(0) { $0 + $1.count }
  }

  func body(contact: String, deliveryID: String, recipientID: String, recipientName: String)
    -> [UInt8]
  {
    var writer = JSONWriter(
      capacity: size + 64 + contact.utf8.count + recipientName.utf8.count)
    writer.append(raw: pieces[0])
    writer.string(contact)
    writer.append(raw: pieces[1])
    writer.string(deliveryID)
    writer.append(raw: pieces[2])
    writer.string(recipientID)
    writer.append(raw: pieces[3])
    writer.string(recipientName)
    writer.append(raw: pieces[4])
    return writer.bytes
  }

  /// The body of `delivery`.
  func body(for delivery: Delivery) -> [UInt8] {
    body(
      contact: delivery.contact.address, deliveryID: delivery.id.rawValue,
      recipientID: delivery.recipientID, recipientName: delivery.recipientName)
  }
}
