import Crypto
import Foundation

/// What personal data becomes after the retention period: an HMAC-SHA256 of
/// the value under the store's retention key, written `hmac-sha256:<hex>`.
///
/// Keyed, not plain: a plain SHA-256 of a phone number is undone by hashing
/// every phone number. Under the key the same address still gives the same
/// pseudonym (so "was this the address?" can be answered by whoever holds the
/// key), and destroying the key makes the pseudonyms anonymous.
public struct KeyedHash: Sendable {
  public static let prefix = "hmac-sha256:"
  private let key: SymmetricKey

  public init(key: [UInt8]) {
    self.key = SymmetricKey(data: key)
  }

  /// The pseudonym of `value`; a value that is one already is kept as it is.
  public func pseudonym(_ value: String) -> String {
    if Self.isPseudonym(value) { return value }
    let code = HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: key)
    return Self.prefix + LowerHex.string(code)
  }

  /// Whether `value` is a pseudonym written by `pseudonym(_:)`.
  public static func isPseudonym(_ value: String) -> Bool {
    value.hasPrefix(prefix)
  }
}
