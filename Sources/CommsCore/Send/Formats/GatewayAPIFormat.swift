import Foundation

/// GatewayAPI's REST send call, `POST https://gatewayapi.eu/rest/mtsms`
/// (or gatewayapi.com), as its documentation shows it: JSON with `sender`,
/// `message`, `recipients: [{"msisdn": 4520000002}]`, `userref` (our
/// delivery id, the same on every retry, returned in its delivery reports),
/// `callback_url` when receipts are configured, `encoding: "UCS2"` for text
/// outside the GSM alphabet, and `max_parts` as a cap on what one message
/// may cost. Authentication: `Authorization: Token …`.
/// (docs/providers/REFERENCE.md §1)
public struct GatewayAPIFormat: Sendable, Hashable {
  /// Up to 11 letters and digits, or 15 digits, shown as the sender.
  public var sender: String
  /// Where GatewayAPI posts delivery reports for these messages.
  public var callbackURL: String?

  public init(sender: String, callbackURL: String? = nil) {
    self.sender = sender
    self.callbackURL = callbackURL
  }

  /// Whether `sender` is one GatewayAPI and the networks carry.
  public static func isValidSender(_ sender: String) -> Bool {
    guard !sender.isEmpty, sender.allSatisfy(\.isASCII) else { return false }
    if sender.allSatisfy(\.isNumber) { return sender.count <= 15 }
    return sender.count <= 11 && sender.allSatisfy { $0.isLetter || $0.isNumber || $0 == " " }
  }

  struct Body: Encodable {
    struct Recipient: Encodable { var msisdn: UInt64 }
    var sender: String
    var message: String
    var recipients: [Recipient]
    var userref: String
    var callbackURL: String?
    var encoding: String?
    var maxParts: Int

    enum CodingKeys: String, CodingKey {
      case sender, message, recipients, userref, encoding
      case callbackURL = "callback_url"
      case maxParts = "max_parts"
    }
  }

  func body(_ input: FormatInput) -> [UInt8] {
    let sms = input.sms ?? SMSRendering(text: "", segments: SMSSegments(""), source: .written)
    let body = Body(
      sender: sender, message: sms.text,
      recipients: [Body.Recipient(msisdn: PhoneNumber.msisdn(input.address) ?? 0)],
      userref: input.delivery.id.rawValue, callbackURL: callbackURL,
      encoding: sms.segments.encoding == .ucs2 ? "UCS2" : nil,
      maxParts: min(255, max(1, sms.segments.count)))
    return ProviderAnswer.json(body)
  }

  /// GatewayAPI answers errors as `{"code": "0x0216", "message": "…",
  /// "incident_uuid": …}`: the code and message join the reason. Insufficient
  /// credit (0x0216) is worth another try once someone has topped up; the
  /// other 4xx (bad token, blacklisted or unknown number, content filter)
  /// are final.
  static func classify(_ response: CurlResponse, common: AttemptResult) -> AttemptResult {
    guard case .permanent(let status, let reason) = common, status >= 400 else {
      if case .transient = common {
        return ProviderAnswer.explained(common, detail(response.body))
      }
      return common
    }
    let answer = ProviderAnswer.object(response.body)
    if (answer?["code"] as? String)?.uppercased() == "0X0216" {
      return .transient(
        status: status, reason: "\(reason): \(detail(response.body) ?? "insufficient credit")",
        retryAfter: nil)
    }
    return ProviderAnswer.explained(common, detail(response.body))
  }

  static func detail(_ body: [UInt8]) -> String? {
    guard let answer = ProviderAnswer.object(body) else { return ProviderAnswer.text(body) }
    let parts = [answer["code"] as? String, answer["message"] as? String].compactMap { $0 }
    return parts.isEmpty ? ProviderAnswer.text(body) : parts.joined(separator: " ")
  }
}
