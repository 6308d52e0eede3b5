import Crypto
import Foundation

/// Signs webhook deliveries per the Standard Webhooks scheme:
/// `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed
/// with the base64-decoded part of the endpoint's `whsec_` secret.
public enum WebhookSigner {
  /// The key bytes of a `whsec_…` secret, or nil if it is not one.
  public static func key(fromSecret secret: String) -> [UInt8]? {
    guard secret.hasPrefix("whsec_") else { return nil }
    guard let data = Data(base64Encoded: String(secret.dropFirst(6))), data.count >= 16 else {
      return nil
    }
    return Array(data)
  }

  /// The `webhook-signature` header value for one attempt.
  public static func signature(id: String, timestamp: Int, body: [UInt8], key: [UInt8]) -> String {
    // Fed in two parts: the body is not copied once more to sign it.
    var mac = HMAC<SHA256>(key: SymmetricKey(data: key))
    mac.update(data: Array("\(id).\(timestamp).".utf8))
    mac.update(data: body)
    return "v1," + Data(mac.finalize()).base64EncodedString()
  }
}
