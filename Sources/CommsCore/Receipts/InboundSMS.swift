import Foundation

/// An SMS a reader sent back, as a gateway's inbound callback carries it:
/// who sent it (E.164), its text, and the provider's id and time.
public struct InboundSMS: Sendable, Equatable {
  public var from: String
  public var text: String
  public var providerRef: String?
  public var providerTime: Date?

  public init(from: String, text: String, providerRef: String? = nil, providerTime: Date? = nil) {
    self.from = from
    self.text = text
    self.providerRef = providerRef
    self.providerTime = providerTime
  }

  /// The longest text taken: ten concatenated parts of UCS-2 (an answer
  /// longer than that is no confirmation, and nobody's question is lost by
  /// a cut this long).
  static let maxText = 670

  /// GatewayAPI's MO SMS callback (docs/providers/REFERENCE.md §1.11,
  /// rest.rst "MO SMS"): JSON with `id`, `msisdn` (integer), `message` (the
  /// text, with the leased keyword first), `senttime` (UNIX seconds). The
  /// webhook's JWT (`X-Gwapi-Signature`, the same authentication token as
  /// for receipts) must verify, and its `id` and `msisdn` claims must be
  /// the body's: a body cannot be swapped under another SMS's signature.
  public static func gatewayAPI(body: [UInt8], signature: String?, secret: [UInt8])
    throws(ReceiptRefusal) -> InboundSMS
  {
    guard let signature, !signature.isEmpty else {
      throw ReceiptRefusal(.unauthenticated, "no X-Gwapi-Signature header")
    }
    let claims = try GatewayAPIReceipt.verifiedClaims(signature, secret: secret)
    guard body.count <= 64 * 1024,
      let fields = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    else {
      throw ReceiptRefusal(.malformed, "the body is not a JSON object")
    }
    guard let msisdn = Receipt.printable(fields["msisdn"], max: 20),
      msisdn.allSatisfy(\.isNumber), let text = fields["message"] as? String
    else {
      throw ReceiptRefusal(.malformed, "the MO SMS has no msisdn or message")
    }
    let id = Receipt.printable(fields["id"])
    guard Receipt.printable(claims["msisdn"], max: 20) == msisdn,
      Receipt.printable(claims["id"]) == id
    else {
      throw ReceiptRefusal(.unauthenticated, "X-Gwapi-Signature is for another SMS")
    }
    var time: Date?
    if let seconds = (fields["senttime"] as? NSNumber)?.doubleValue, seconds.isFinite,
      (0...4_102_444_800).contains(seconds)  // up to 2100
    {
      time = Date(timeIntervalSince1970: seconds.rounded(.down))
    }
    return InboundSMS(
      from: "+" + msisdn, text: String(text.prefix(maxText)), providerRef: id, providerTime: time)
  }

  /// Twilio's incoming message webhook (twilio.com/docs/messaging/guides/
  /// webhook-request): a form with `From` (E.164), `Body` and `MessageSid`,
  /// signed like a status callback (`X-Twilio-Signature` over `url`).
  public static func twilio(url: String, body: [UInt8], signature: String?, authToken: String)
    throws(ReceiptRefusal) -> InboundSMS
  {
    let values = try TwilioReceipt.verifiedForm(
      url: url, body: body, signature: signature, authToken: authToken)
    guard let from = Receipt.printable(values["From"], max: 20), from.hasPrefix("+"),
      from.dropFirst().allSatisfy(\.isNumber), let text = values["Body"]
    else {
      throw ReceiptRefusal(.malformed, "the incoming message has no From or Body")
    }
    return InboundSMS(
      from: from, text: String(text.prefix(maxText)),
      providerRef: Receipt.printable(values["MessageSid"]))
  }
}

/// The words that confirm by SMS: a reply that is one of them and nothing
/// else (case, surrounding spaces and end punctuation aside). Anything
/// longer is a question or a remark, and no confirmation.
public struct ConfirmKeywords: Sendable, Equatable {
  public var words: Set<String>

  /// Danish and English, and the Danish word without its æ.
  public static let standard = ConfirmKeywords(
    words: ["ok", "okay", "ja", "jep", "yes", "bekræft", "bekraeft", "bekræfter", "confirm"])

  public init(words: Set<String>) {
    self.words = Set(words.map { $0.lowercased() })
  }

  /// Whether `text` (its leased `prefix` keyword, if any, first) confirms.
  public func confirms(_ text: String, prefix: String? = nil) -> Bool {
    var words = text.lowercased().split(whereSeparator: { $0.isWhitespace || $0.isNewline })
      .map(String.init)
    if let prefix, words.first == prefix.lowercased() { words.removeFirst() }
    guard words.count == 1, var word = words.first else { return false }
    while let last = word.last, ".!,;:)".contains(last) { word.removeLast() }
    return self.words.contains(word)
  }
}
