import Crypto
import Foundation
import Synchronization

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
  ///
  /// The HMAC is keyed once per key and copied for each attempt, and the
  /// signed text is fed in parts, not built: keying it afresh (`SymmetricKey`,
  /// the padded key's two hashes) and building "id.timestamp." as a string
  /// and an array were 7 of the 80 allocations of Swift per webhook (issue 25).
  /// The parts go to SHA-256 directly (see `KeyedSHA256`).
  public static func signature(id: String, timestamp: Int, body: [UInt8], key: [UInt8]) -> String {
    var id = id
    var time = String(timestamp)
    let code = keyed(key).code { hash in
      id.withUTF8 { hash.update(bufferPointer: UnsafeRawBufferPointer($0)) }
      dot.withUnsafeBytes { hash.update(bufferPointer: $0) }
      time.withUTF8 { hash.update(bufferPointer: UnsafeRawBufferPointer($0)) }
      dot.withUnsafeBytes { hash.update(bufferPointer: $0) }
      body.withUnsafeBytes { hash.update(bufferPointer: $0) }
    }
    return code.withUnsafeBytes { Base64Text.encode($0, after: "v1,") }
  }

  private static let dot: [UInt8] = [0x2E]

  /// The keys in use (one per endpoint), keyed once and kept. Bounded, as
  /// keys come from the configuration: a key rotated out by a reload stays
  /// until 256 have been seen, in memory that held it anyway.
  private static let keyedMACs = Mutex<[[UInt8]: KeyedSHA256]>([:])

  private static func keyed(_ key: [UInt8]) -> KeyedSHA256 {
    keyedMACs.withLock { macs in
      if let mac = macs[key] { return mac }
      if macs.count >= 256 { macs.removeAll() }
      let mac = KeyedSHA256(key: key)
      macs[key] = mac
      return mac
    }
  }
}
