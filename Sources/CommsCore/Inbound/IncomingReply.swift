import Foundation

/// How a reply or question came back.
public enum InboundChannel: String, Sendable, Codable, CaseIterable {
  /// An SMS through a gateway's inbound callback (`POST /v1/inbound/{endpoint}`).
  case sms
  /// An email through the MTA and `commsd mailgate`.
  case email
  /// Another system's signed hook (`POST /v1/hooks/{source}` of a source
  /// with `inquiries = true`).
  case hook
}

/// A reply or question as it came in, before it is matched to a person and
/// a bulletin. Every field is the outside world's: bounded and printable
/// where it is shown, personal data where it names someone.
public struct IncomingReply: Sendable, Equatable, Codable {
  public var channel: InboundChannel
  /// The endpoint (SMS), `mailgate` (email) or the hook source's name.
  public var source: String
  /// The sender: an E.164 number, a lower-cased email address, or what the
  /// hook names.
  public var from: String
  /// The sender's display name, when the channel gives one (an email's From).
  public var fromName: String?
  public var subject: String?
  public var text: String
  /// The provider's id for it (an SMS id, an email's Message-ID): the same
  /// reply handed in twice (a provider's retry, an MTA's redelivery) is one
  /// inquiry.
  public var reference: String?
  /// The delivery the reply names: the `+dlv_…` tag of the address it was
  /// sent to (email), or the delivery a hook names.
  public var tag: DeliveryID?
  /// Deliveries named by the thread (an email's In-Reply-To and References,
  /// whose Message-IDs are `dlv_…@domain`), nearest first.
  public var thread: [DeliveryID] = []
  /// The person a hook names (a recipient id).
  public var recipientID: String?
  /// Why it is an automatic answer rather than a person's (out of office,
  /// bounce), if it is one: recorded, never an inquiry.
  public var automatic: String?

  public init(
    channel: InboundChannel, source: String, from: String, fromName: String? = nil,
    subject: String? = nil, text: String, reference: String? = nil, tag: DeliveryID? = nil,
    thread: [DeliveryID] = [], recipientID: String? = nil, automatic: String? = nil
  ) {
    self.channel = channel
    self.source = source
    self.from = from
    self.fromName = fromName
    self.subject = subject
    self.text = text
    self.reference = reference
    self.tag = tag
    self.thread = thread
    self.recipientID = recipientID
    self.automatic = automatic
  }

  /// The longest question kept, in characters: a long email is cut there
  /// (and says so); an SMS is far shorter.
  public static let maxText = 20_000

  /// The reply with every field within its bounds, whoever made it (a
  /// local client of the intake socket could send anything).
  public func bounded() -> IncomingReply {
    var reply = self
    reply.source = Printable.line(source, max: 64)
    reply.from = Printable.line(from, max: 254)
    reply.fromName = fromName.map { Printable.line($0, max: 200) }
    reply.subject = subject.map { Printable.line($0, max: 300) }
    if text.count > Self.maxText { reply.text = String(text.prefix(Self.maxText)) + "\n[…]" }
    reply.reference = reference.map { String($0.prefix(200)) }
    reply.thread = Array(thread.prefix(20))
    reply.recipientID = recipientID.map { String($0.prefix(100)) }
    reply.automatic = automatic.map { Printable.line($0, max: 100) }
    return reply
  }
}
