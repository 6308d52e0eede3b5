import Foundation

/// Twilio's Messages call, `POST https://api.twilio.com/2010-04-01/Accounts/
/// {AccountSid}/Messages.json`, form-encoded with `To` (E.164), `From` or
/// `MessagingServiceSid`, `Body` and `StatusCallback`, with basic
/// authentication (account SID and auth token). Many gateways copy it.
/// (docs/providers/REFERENCE.md §2)
public struct TwilioFormat: Sendable, Hashable {
  public enum Sender: Sendable, Hashable {
    /// A phone number or alphanumeric sender id (`From`).
    case from(String)
    /// A messaging service that picks the sender (`MessagingServiceSid`).
    case messagingService(String)
  }

  public var sender: Sender
  /// Where Twilio posts status callbacks for these messages.
  public var statusCallback: String?

  public init(sender: Sender, statusCallback: String? = nil) {
    self.sender = sender
    self.statusCallback = statusCallback
  }

  func body(_ input: FormatInput) -> [UInt8] {
    var fields = [("To", input.address)]
    switch sender {
    case .from(let from): fields.append(("From", from))
    case .messagingService(let sid): fields.append(("MessagingServiceSid", sid))
    }
    fields.append(("Body", input.sms?.text ?? ""))
    if let statusCallback {
      // Twilio's status callback names only its own MessageSid: the
      // delivery id rides in the URL, so a receipt finds its delivery.
      let joiner = statusCallback.contains("?") ? "&" : "?"
      fields.append(
        ("StatusCallback", statusCallback + joiner + "delivery=" + input.delivery.id.rawValue))
    }
    return Array(FormEncoding.encode(fields).utf8)
  }

  /// Twilio answers errors as `{"code": 21211, "message": "…", "more_info":
  /// …, "status": 400}`; code and message join the reason. 429 (20429, too
  /// many requests) is worth another try by the common rule. A 2xx whose
  /// message already has `status` `failed` or `undelivered` was refused.
  static func classify(_ response: CurlResponse, common: AttemptResult) -> AttemptResult {
    let answer = ProviderAnswer.object(response.body)
    if case .delivered(let status) = common {
      if let state = answer?["status"] as? String, state == "failed" || state == "undelivered" {
        let code = (answer?["error_code"]).map { " \($0)" } ?? ""
        return .permanent(status: status, reason: "HTTP \(status): message \(state)\(code)")
      }
      return common
    }
    guard let answer else {
      return ProviderAnswer.explained(common, ProviderAnswer.text(response.body))
    }
    let code = answer["code"].map { "\($0)" }
    let message = answer["message"] as? String ?? answer["title"] as? String
    let detail = [code, message].compactMap { $0 }.joined(separator: " ")
    return ProviderAnswer.explained(common, detail)
  }
}

/// `application/x-www-form-urlencoded` as Twilio's own client writes it
/// (Python's `urlencode`): letters, digits and `_.-~` as they are, space as
/// `+`, every other byte of the UTF-8 as `%XX`.
enum FormEncoding {
  static func encode(_ fields: [(String, String)]) -> String {
    fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
  }

  static func escape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    let hex = Array("0123456789ABCDEF")
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "_"), UInt8(ascii: "~"):
        result.unicodeScalars.append(Unicode.Scalar(byte))
      case UInt8(ascii: " "):
        result.append("+")
      default:
        result.append("%")
        result.append(hex[Int(byte >> 4)])
        result.append(hex[Int(byte & 0x0F)])
      }
    }
    return result
  }
}
