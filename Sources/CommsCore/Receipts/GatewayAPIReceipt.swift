import Crypto
import Foundation

/// GatewayAPI's delivery status notification, as its REST documentation
/// describes it (docs/providers/REFERENCE.md §1.8, §1.9): a JSON POST with
/// `id`, `msisdn`, `time` (UNIX seconds), `status` (DELIVERED, UNDELIVERABLE,
/// …), `error`, `code` and `userref`, and a JWT (HS256, the webhook's
/// authentication token) in `X-Gwapi-Signature` whose claims repeat them.
///
/// The receipt is read from the verified claims, not from the body: only
/// what GatewayAPI signed is believed.
public enum GatewayAPIReceipt {
  /// Final states other than DELIVERED: the handset was not reached.
  /// ACCEPTED (the operator took it) decides nothing about the handset;
  /// UNKNOWN, SCHEDULED, BUFFERED and ENROUTE are on the way.
  static let failed: Set<String> = ["UNDELIVERABLE", "EXPIRED", "DELETED", "REJECTED", "SKIPPED"]

  /// The receipt in a callback whose `X-Gwapi-Signature` is `signature`.
  public static func read(signature: String?, secret: [UInt8]) throws(ReceiptRefusal) -> Receipt {
    guard let signature, !signature.isEmpty else {
      throw ReceiptRefusal(.unauthenticated, "no X-Gwapi-Signature header")
    }
    let claims = try verifiedClaims(signature, secret: secret)
    return try receipt(from: claims)
  }

  /// The claims of an HS256 JWT made with `secret`; anything else is refused.
  static func verifiedClaims(_ token: String, secret: [UInt8]) throws(ReceiptRefusal)
    -> [String: Any]
  {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    guard token.utf8.count <= 8192, parts.count == 3,
      let header = base64URL(parts[0]), let payload = base64URL(parts[1]),
      let mac = base64URL(parts[2])
    else {
      throw ReceiptRefusal(.unauthenticated, "X-Gwapi-Signature is not a JWT")
    }
    guard
      let head = (try? JSONSerialization.jsonObject(with: Data(header))) as? [String: Any],
      head["alg"] as? String == "HS256"
    else {
      throw ReceiptRefusal(.unauthenticated, "X-Gwapi-Signature is not signed with HS256")
    }
    let signed = Array("\(parts[0]).\(parts[1])".utf8)
    let expected = Array(
      HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: secret)))
    guard TokenCheck.constantTimeEqual(expected, mac) else {
      throw ReceiptRefusal(.unauthenticated, "X-Gwapi-Signature does not match receipt_secret")
    }
    guard let claims = (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any]
    else {
      throw ReceiptRefusal(.malformed, "the signed claims are not a JSON object")
    }
    return claims
  }

  /// The receipt the claims (the DSN's fields) describe.
  static func receipt(from claims: [String: Any]) throws(ReceiptRefusal) -> Receipt {
    guard let status = Receipt.printable(claims["status"], max: 32)?.uppercased() else {
      throw ReceiptRefusal(.malformed, "the receipt has no status")
    }
    let result: Receipt.Result
    if status == "DELIVERED" {
      result = .delivered
    } else if failed.contains(status) {
      let detail = [
        Receipt.printable(claims["code"], max: 16), Receipt.printable(claims["error"], max: 200),
      ].compactMap { $0 }
      result = .undeliverable(reason: ([status] + detail).joined(separator: " "))
    } else {
      result = .pending
    }
    var time: Date?
    if let seconds = (claims["time"] as? NSNumber)?.doubleValue, seconds.isFinite,
      (0...4_102_444_800).contains(seconds)  // up to 2100
    {
      time = Date(timeIntervalSince1970: seconds.rounded(.down))
    }
    return Receipt(
      deliveryID: Receipt.printable(claims["userref"]),
      providerRef: Receipt.printable(claims["id"]),
      result: result, status: status, providerTime: time)
  }

  static func base64URL(_ text: Substring) -> [UInt8]? {
    guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(
      of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    return Data(base64Encoded: base64).map(Array.init)
  }

  /// A JWT as GatewayAPI makes one, for tests and the demo receiver's twin.
  static func token(claims: [String: Any], secret: [UInt8]) -> String {
    func encode(_ data: Data) -> String {
      data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
    let header = encode(Data(#"{"typ":"JWT","alg":"HS256"}"#.utf8))
    let payload = encode((try? JSONSerialization.data(withJSONObject: claims)) ?? Data())
    let mac = HMAC<SHA256>.authenticationCode(
      for: Data("\(header).\(payload)".utf8), using: SymmetricKey(data: secret))
    return "\(header).\(payload).\(encode(Data(mac)))"
  }
}
