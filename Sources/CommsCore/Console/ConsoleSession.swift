import Crypto
import Foundation

/// A person signed in to the console. The browser holds only a random
/// token in a cookie; the store keeps its SHA-256 (a copy of the store
/// opens no session) with who it is, how they signed in, the session's
/// CSRF token and its times. What the person may do is not kept: it is
/// read from `[[operators]]` on every request, so a changed configuration
/// applies at once.
public struct ConsoleSession: Sendable, Equatable {
  public enum Via: String, Sendable {
    /// A local account (`commsd user add`).
    case local
    /// The identity provider (`[console.oidc]`).
    case oidc
  }

  public var person: String
  public var displayName: String
  public var via: Via
  /// The identity provider's groups, for `[[operators]] idp_group`.
  public var idpGroups: [String]
  /// Every form's hidden `csrf` must carry it.
  public var csrf: String
  /// The client's address at sign-in.
  public var origin: String
  public var createdAt: Date
  public var seenAt: Date
  /// The latest end, however busy the session (`[console] session_max`).
  public var expiresAt: Date

  public init(
    person: String, displayName: String, via: Via, idpGroups: [String] = [], csrf: String,
    origin: String, createdAt: Date, seenAt: Date, expiresAt: Date
  ) {
    self.person = person
    self.displayName = displayName
    self.via = via
    self.idpGroups = idpGroups
    self.csrf = csrf
    self.origin = origin
    self.createdAt = createdAt
    self.seenAt = seenAt
    self.expiresAt = expiresAt
  }

  /// How the person is named in the audit log: `console:NAME@ADDRESS`.
  public func sender(from address: String) -> Sender {
    Sender(kind: .console, name: person, origin: address)
  }

  /// 32 random bytes, base64url without padding (43 characters): a
  /// session's cookie token, a CSRF token, a PKCE verifier.
  public static func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    return base64url(bytes)
  }

  public static func base64url(_ bytes: some Sequence<UInt8>) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
      .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
  }

  /// What the store keeps of a cookie's token: its SHA-256 in hex.
  public static func tokenHash(_ token: String) -> String {
    LowerHex.string(SHA256.hash(data: Array(token.utf8)))
  }

  /// Whether `text` could be a token of ours (43 base64url characters);
  /// anything else is not looked up.
  public static func isToken(_ text: Substring) -> Bool {
    text.utf8.count == 43 && isBase64url(text)
  }

  /// Only the base64url alphabet (`A–Z a–z 0–9 - _`), no padding.
  static func isBase64url(_ text: Substring) -> Bool {
    text.utf8.allSatisfy {
      (65...90).contains($0) || (97...122).contains($0) || (48...57).contains($0) || $0 == 45
        || $0 == 95
    }
  }

  /// Compares two tokens in time that does not depend on where they differ.
  public static func sameToken(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var difference: UInt8 = 0
    for index in x.indices { difference |= x[index] ^ y[index] }
    return difference == 0
  }
}
