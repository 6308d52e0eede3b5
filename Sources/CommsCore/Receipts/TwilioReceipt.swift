import Crypto
import Foundation

/// Twilio's status callback (docs/providers/REFERENCE.md §2.4, §2.5): a
/// form-encoded POST with `MessageSid`, `MessageStatus` and, for a failure,
/// `ErrorCode`, signed in `X-Twilio-Signature` as Base64 HMAC-SHA1 (key:
/// the account's auth token) of the callback URL followed by every POST
/// parameter's name and value, sorted by name. The delivery id rides in the
/// URL commsd gave (`?delivery=dlv_…`). Twilio sends no event time: the
/// time a callback arrives orders it.
public enum TwilioReceipt {
  /// delivered (and read, for channels that report it) reach the handset;
  /// undelivered, failed and canceled do not; the rest are on the way.
  static let failed: Set<String> = ["undelivered", "failed", "canceled"]

  /// The receipt in a callback to `url` (as Twilio called it, with its
  /// query) with the form `body`, whose `X-Twilio-Signature` is `signature`.
  public static func read(
    url: String, body: [UInt8], signature: String?, authToken: String
  ) throws(ReceiptRefusal) -> Receipt {
    let values = try verifiedForm(
      url: url, body: body, signature: signature, authToken: authToken)
    guard
      let status = Receipt.printable(values["MessageStatus"] ?? values["SmsStatus"], max: 32)?
        .lowercased()
    else {
      throw ReceiptRefusal(.malformed, "the callback has no MessageStatus")
    }
    return receipt(values, status: status, url: url)
  }

  /// The fields of a form Twilio POSTed to `url`, once `signature` proves
  /// it came from the account whose auth token is `authToken` (the first
  /// of a repeated field).
  static func verifiedForm(
    url: String, body: [UInt8], signature: String?, authToken: String
  ) throws(ReceiptRefusal) -> [String: String] {
    guard let signature, !signature.isEmpty else {
      throw ReceiptRefusal(.unauthenticated, "no X-Twilio-Signature header")
    }
    guard let fields = FormDecoding.decode(body) else {
      throw ReceiptRefusal(.malformed, "the body is not a form")
    }
    guard
      TokenCheck.constantTimeEqual(
        Array(Self.signature(url: url, fields: fields, authToken: authToken).utf8),
        Array(signature.utf8))
    else {
      throw ReceiptRefusal(.unauthenticated, "X-Twilio-Signature does not match the auth token")
    }
    return Dictionary(fields, uniquingKeysWith: { first, _ in first })
  }

  private static func receipt(_ values: [String: String], status: String, url: String) -> Receipt {
    let result: Receipt.Result
    if status == "delivered" || status == "read" {
      result = .delivered
    } else if failed.contains(status) {
      let code = Receipt.printable(values["ErrorCode"], max: 16).map { " \($0)" } ?? ""
      result = .undeliverable(reason: status + code)
    } else {
      result = .pending
    }
    let delivery = URLComponents(string: url)?.queryItems?.first { $0.name == "delivery" }?.value
    return Receipt(
      deliveryID: Receipt.printable(delivery),
      providerRef: Receipt.printable(values["MessageSid"] ?? values["SmsSid"]), result: result,
      status: status, providerTime: nil)
  }

  /// `X-Twilio-Signature` for a POST of `fields` to `url`.
  static func signature(url: String, fields: [(String, String)], authToken: String) -> String {
    var data = url
    for (name, value) in fields.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
      data += name + value
    }
    let mac = HMAC<Insecure.SHA1>.authenticationCode(
      for: Data(data.utf8), using: SymmetricKey(data: Data(authToken.utf8)))
    return Data(mac).base64EncodedString()
  }
}

/// `application/x-www-form-urlencoded` read back: `+` is a space, `%XX` a
/// byte; nil for a body that is not one (bad escapes, not UTF-8, too many
/// fields).
enum FormDecoding {
  static func decode(_ body: [UInt8]) -> [(String, String)]? {
    guard body.count <= 64 * 1024, let text = String(validating: body, as: UTF8.self) else {
      return nil
    }
    if text.isEmpty { return [] }
    var fields: [(String, String)] = []
    for pair in text.split(separator: "&", omittingEmptySubsequences: false) {
      guard fields.count < 200 else { return nil }
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      guard let name = unescape(parts[0]),
        let value = parts.count > 1 ? unescape(parts[1]) : ""
      else { return nil }
      fields.append((name, value))
    }
    return fields
  }

  static func unescape(_ text: Substring) -> String? {
    text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
  }
}
