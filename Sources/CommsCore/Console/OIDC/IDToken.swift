import Crypto
import CryptoExtras
import Foundation

/// An OpenID Connect ID token (a JWS in compact form) as the console
/// checks it: the signature against the provider's keys (RS256 or ES256;
/// `none` and everything else refused), then the issuer, the audience
/// (and `azp` when there are several), the expiry and issue time (a minute
/// of clock skew), and the nonce of this sign-in. Everything in it comes
/// from outside: sizes are bounded and no conversion can trap.
public struct IDToken: Sendable, Equatable {
  public var claims: [String: ClaimValue]

  public enum ClaimValue: Sendable, Equatable {
    case text(String)
    case number(Double)
    case list([String])
    case other
  }

  public struct Invalid: Error, Equatable, CustomStringConvertible {
    public var description: String
    /// No key of the provider fits the token's `alg` and `kid`: perhaps a
    /// new key, worth reading the key set again for.
    public var unknownKey = false
    init(_ description: String, unknownKey: Bool = false) {
      self.description = description
      self.unknownKey = unknownKey
    }
  }

  /// The largest token read.
  public static let maxBytes = 16 * 1024

  /// What the token was checked against.
  public struct Expected: Sendable {
    public var issuer: String
    public var clientID: String
    public var nonce: String
    public var now: Date
  }

  public static func verify(_ compact: String, keys: [JWK], expected: Expected) throws(Invalid)
    -> IDToken
  {
    guard compact.utf8.count <= maxBytes else { throw Invalid("the ID token is too large") }
    let parts = compact.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, let headerBytes = base64url(parts[0]),
      let payloadBytes = base64url(parts[1]), let signature = base64url(parts[2])
    else { throw Invalid("the ID token is not a signed JWT (three base64url parts)") }
    guard
      let header = (try? JSONSerialization.jsonObject(with: Data(headerBytes))) as? [String: Any],
      let alg = header["alg"] as? String
    else { throw Invalid("the ID token's header is not JSON with alg") }
    let kid = header["kid"] as? String
    let signed = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
    let candidates = keys.filter { key in
      (kid == nil || key.kid == nil || key.kid == kid) && key.fits(alg)
    }
    guard !candidates.isEmpty else {
      throw Invalid(
        "no key of the provider for alg \(alg.prefix(10)) and kid \(kid?.prefix(40) ?? "none")",
        unknownKey: true)
    }
    guard candidates.contains(where: { $0.verifies(signature, of: signed, alg: alg) }) else {
      throw Invalid("the ID token's signature does not verify")
    }
    guard
      let payload = (try? JSONSerialization.jsonObject(with: Data(payloadBytes)))
        as? [String: Any]
    else { throw Invalid("the ID token's claims are not a JSON object") }
    let token = IDToken(claims: payload.mapValues(ClaimValue.init))
    try token.check(expected)
    return token
  }

  func check(_ expected: Expected) throws(Invalid) {
    guard text("iss") == expected.issuer else {
      throw Invalid("the ID token's issuer is not \(expected.issuer)")
    }
    let audiences = list("aud")
    guard audiences.contains(expected.clientID) else {
      throw Invalid("the ID token is not for this client (aud)")
    }
    if audiences.count > 1, text("azp") != expected.clientID {
      throw Invalid("the ID token has several audiences and another azp")
    }
    let now = expected.now.timeIntervalSince1970
    guard let expiry = number("exp"), expiry + 60 > now else {
      throw Invalid("the ID token has expired (or has no exp)")
    }
    if let issued = number("iat"), issued - 60 > now {
      throw Invalid("the ID token was issued in the future (iat)")
    }
    guard let nonce = text("nonce"), ConsoleSession.sameToken(nonce, expected.nonce) else {
      throw Invalid("the ID token's nonce is not this sign-in's")
    }
  }

  public func text(_ name: String) -> String? {
    if case .text(let value) = claims[name] { return value }
    return nil
  }

  public func number(_ name: String) -> Double? {
    if case .number(let value) = claims[name], value.isFinite { return value }
    return nil
  }

  /// A claim that is a string or a list of strings, as a list.
  public func list(_ name: String) -> [String] {
    switch claims[name] {
    case .text(let value): [value]
    case .list(let values): values
    default: []
    }
  }

  static func base64url(_ text: Substring) -> [UInt8]? {
    guard text.utf8.count <= maxBytes * 2, ConsoleSession.isBase64url(text) else { return nil }
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(
      of: "_", with: "/")
    while base64.utf8.count % 4 != 0 { base64 += "=" }
    guard let bytes = Data(base64Encoded: base64).map(Array.init) else { return nil }
    // Only the one way of writing them: unused low bits of the last
    // character would otherwise give the same bytes for other texts.
    guard ConsoleSession.base64url(bytes) == text else { return nil }
    return bytes
  }
}

extension IDToken.ClaimValue {
  init(_ value: Any) {
    if let text = value as? String {
      self = .text(String(text.prefix(1000)))
    } else if let number = value as? NSNumber, String(cString: number.objCType) != "c" {
      self = .number(number.doubleValue)
    } else if let list = value as? [Any], list.count <= 500 {
      self = .list(list.compactMap { ($0 as? String).map { String($0.prefix(200)) } })
    } else {
      self = .other
    }
  }
}

/// One key of the provider's JWKS: RSA (`n`, `e`) or P-256 (`x`, `y`).
public struct JWK: Sendable, Equatable {
  public var kid: String?
  public var kty: String
  public var alg: String?
  var n: [UInt8] = []
  var e: [UInt8] = []
  var x: [UInt8] = []
  var y: [UInt8] = []

  /// The keys of a JWKS document (`{"keys": […]}`); keys of other kinds or
  /// uses are left out.
  public static func set(_ bytes: [UInt8]) -> [JWK] {
    guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
      let keys = object["keys"] as? [[String: Any]]
    else { return [] }
    return keys.prefix(50).compactMap { entry in
      guard let kty = entry["kty"] as? String, (entry["use"] as? String ?? "sig") == "sig" else {
        return nil
      }
      func bytes(_ name: String) -> [UInt8] {
        (entry[name] as? String).flatMap { IDToken.base64url($0[...]) } ?? []
      }
      var key = JWK(kid: entry["kid"] as? String, kty: kty, alg: entry["alg"] as? String)
      switch kty {
      case "RSA":
        key.n = bytes("n")
        key.e = bytes("e")
        return key.n.isEmpty || key.e.isEmpty ? nil : key
      case "EC" where entry["crv"] as? String == "P-256":
        key.x = bytes("x")
        key.y = bytes("y")
        return key.x.count == 32 && key.y.count == 32 ? key : nil
      default:
        return nil
      }
    }
  }

  func fits(_ alg: String) -> Bool {
    switch alg {
    case "RS256": kty == "RSA" && (self.alg == nil || self.alg == "RS256")
    case "ES256": kty == "EC" && (self.alg == nil || self.alg == "ES256")
    default: false
    }
  }

  func verifies(_ signature: [UInt8], of signed: [UInt8], alg: String) -> Bool {
    switch alg {
    case "RS256":
      guard let key = try? _RSA.Signing.PublicKey(n: n, e: e) else { return false }
      return key.isValidSignature(
        _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: signed),
        padding: .insecurePKCS1v1_5)
    case "ES256":
      guard let key = try? P256.Signing.PublicKey(rawRepresentation: x + y),
        let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
      else { return false }
      return key.isValidSignature(parsed, for: SHA256.hash(data: signed))
    default:
      return false
    }
  }
}
