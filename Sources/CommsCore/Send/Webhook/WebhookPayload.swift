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
  public var language: String
  public var subject: String
  public var body: String
  public var recipient: Recipient
  /// The contact's address on the endpoint (phone number, channel id, user), may be empty.
  public var contact: String
  public var acceptedAt: Date

  enum CodingKeys: String, CodingKey {
    case type, audience, priority, kind, language, subject, body, recipient, contact
    case messageID = "message_id"
    case deliveryID = "delivery_id"
    case audienceName = "audience_name"
    case acceptedAt = "accepted_at"
  }

  public init(delivery: Delivery, message: Message, audienceName: String) {
    let content = message.content(for: delivery.language)
    messageID = message.id.rawValue
    deliveryID = delivery.id.rawValue
    audience = delivery.audience
    self.audienceName = audienceName
    priority = message.priority.rawValue
    kind = message.kind.rawValue
    language = content.language
    subject = content.content.subject
    body = content.content.body
    recipient = Recipient(id: delivery.recipientID, name: delivery.recipientName)
    contact = delivery.contact.address
    acceptedAt = message.acceptedAt
  }
}

extension WebhookPayload {
  /// The JSON body, written directly (see `JSONWriter`); the same bytes as
  /// `JSONCoding.encoder().encode(self)`.
  public func encoded() -> [UInt8] {
    var writer = JSONWriter(capacity: 384 + subject.utf8.count + body.utf8.count)
    writer.beginObject()
    writer.member("accepted_at", Timestamp.format(acceptedAt))
    writer.member("audience", audience)
    writer.member("audience_name", audienceName)
    writer.member("body", body)
    writer.member("contact", contact)
    writer.member("delivery_id", deliveryID)
    writer.member("kind", kind)
    writer.member("language", language)
    writer.member("message_id", messageID)
    writer.member("priority", priority)
    writer.key("recipient")
    writer.beginObject()
    writer.member("id", recipient.id)
    writer.member("name", recipient.name)
    writer.endObject()
    writer.endMember()
    writer.member("subject", subject)
    writer.member("type", type)
    writer.endObject()
    return writer.bytes
  }
}
