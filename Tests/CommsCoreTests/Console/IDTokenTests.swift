import Crypto
import CryptoExtras
import Foundation
import Testing

@testable import CommsCore

/// `IDToken.verify` against real tokens signed here (RS256 with a fresh
/// RSA key, ES256 with a P-256 key) and the key set built from their
/// public halves: a good token is read, everything else refused with its
/// own message; `JWK.set` keeps only signing keys it can use; the PKCE
/// challenge; and a seeded fuzz that no string but the one signed token
/// gets through.
@Suite struct IDTokenTests {
  static let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
  static let otherRSA = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
  static let p256 = P256.Signing.PrivateKey()

  static let issuer = "https://login.kommune.dk/realms/krise"
  static let client = "commsd"
  static let nonce = "n-4Jp2xQ7vT0cYk9"
  static let now = Date(timeIntervalSince1970: 1_790_000_000)
  static let seconds = 1_790_000_000

  static func b64(_ bytes: some Sequence<UInt8>) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
      .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
  }

  static func json(_ object: [String: Any]) -> [UInt8] {
    Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
  }

  /// The claims of a good token for this sign-in.
  static func claims(_ changes: [String: Any?] = [:]) -> [String: Any] {
    var claims: [String: Any] = [
      "iss": issuer, "aud": client, "sub": "8f1c2d", "nonce": nonce,
      "exp": seconds + 300, "iat": seconds - 5, "preferred_username": "mette",
      "name": "Mette Jensen", "groups": ["/kommune/alle", "/kommune/krisestab"],
    ]
    for (name, value) in changes { claims[name] = value }
    return claims
  }

  static func rs256(
    _ claims: [String: Any] = claims(), header: [String: Any] = ["alg": "RS256", "kid": "r1"],
    key: _RSA.Signing.PrivateKey = rsa
  ) throws -> String {
    let input = b64(json(header)) + "." + b64(json(claims))
    let signature = try key.signature(
      for: SHA256.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5)
    return input + "." + b64(signature.rawRepresentation)
  }

  static func es256(
    _ claims: [String: Any] = claims(), header: [String: Any] = ["alg": "ES256", "kid": "e1"]
  ) throws -> String {
    let input = b64(json(header)) + "." + b64(json(claims))
    let signature = try p256.signature(for: Array(input.utf8))
    return input + "." + b64(signature.rawRepresentation)
  }

  static func rsaJWK(
    _ key: _RSA.Signing.PublicKey = rsa.publicKey, kid: String? = "r1", alg: String? = "RS256"
  ) throws -> [String: Any] {
    let primitives = try key.getKeyPrimitives()
    var jwk: [String: Any] = [
      "kty": "RSA", "use": "sig", "n": b64(primitives.modulus), "e": b64(primitives.publicExponent),
    ]
    jwk["kid"] = kid
    jwk["alg"] = alg
    return jwk
  }

  static func ecJWK(kid: String? = "e1", crv: String = "P-256") -> [String: Any] {
    let raw = Array(p256.publicKey.rawRepresentation)
    var jwk: [String: Any] = [
      "kty": "EC", "crv": crv, "x": b64(raw.prefix(32)), "y": b64(raw.suffix(32)),
    ]
    jwk["kid"] = kid
    return jwk
  }

  static func keySet(_ keys: [[String: Any]]) -> [JWK] {
    JWK.set(json(["keys": keys]))
  }

  /// The provider's keys: the RSA key `r1` and the P-256 key `e1`.
  static func keys() throws -> [JWK] {
    let keys = keySet([try rsaJWK(), ecJWK()])
    try #require(keys.count == 2)
    return keys
  }

  static func verify(
    _ token: String, keys: [JWK]? = nil, nonce: String = nonce, now: Date = now
  ) throws -> IDToken {
    try IDToken.verify(
      token, keys: keys ?? Self.keys(),
      expected: IDToken.Expected(issuer: issuer, clientID: client, nonce: nonce, now: now))
  }

  /// Why `token` is refused; nil when it is accepted.
  static func refusal(
    _ token: String, keys: [JWK]? = nil, nonce: String = nonce, now: Date = now
  ) throws -> String? {
    let keys = try keys ?? Self.keys()
    do {
      _ = try IDToken.verify(
        token, keys: keys,
        expected: IDToken.Expected(issuer: issuer, clientID: client, nonce: nonce, now: now))
      return nil
    } catch {
      return error.description
    }
  }

  // MARK: Good tokens

  @Test func aGoodRS256TokenVerifiesAndItsClaimsRead() throws {
    let token = try Self.verify(
      try Self.rs256(Self.claims(["email_verified": true, "address": ["locality": "Aarhus"]])))
    #expect(token.text("iss") == Self.issuer)
    #expect(token.text("preferred_username") == "mette" && token.text("name") == "Mette Jensen")
    #expect(token.number("exp") == Double(Self.seconds + 300))
    #expect(token.number("iat") == Double(Self.seconds - 5))
    #expect(token.list("groups") == ["/kommune/alle", "/kommune/krisestab"])
    #expect(token.list("aud") == [Self.client], "a single audience reads as a list of one")
    #expect(token.claims["groups"] == .list(["/kommune/alle", "/kommune/krisestab"]))
    #expect(token.claims["address"] == .other, "an object is no text, number or list")
    #expect(token.claims["email_verified"] == .other, "a boolean is not the number 1")
    #expect(token.number("email_verified") == nil)
    // Asking for a claim as the wrong kind gives nothing, never a conversion.
    #expect(token.text("exp") == nil && token.number("name") == nil)
    #expect(token.text("groups") == nil && token.list("exp").isEmpty)
    #expect(token.text("missing") == nil && token.list("missing").isEmpty)
  }

  @Test func severalAudiencesAreReadWhenAzpIsThisClient() throws {
    let token = try Self.verify(
      try Self.rs256(Self.claims(["aud": ["other-app", Self.client], "azp": Self.client])))
    #expect(token.list("aud") == ["other-app", Self.client])
    #expect(token.text("azp") == Self.client)
    // One audience in an array needs no azp.
    #expect(try Self.verify(try Self.rs256(Self.claims(["aud": [Self.client]]))).text("azp") == nil)
  }

  @Test func aGoodES256TokenVerifies() throws {
    let token = try Self.verify(try Self.es256())
    #expect(token.text("sub") == "8f1c2d")
    // Only the EC key in the set, and a token without kid: tried by alg.
    let onlyEC = Self.keySet([Self.ecJWK(kid: nil)])
    #expect(onlyEC.count == 1)
    #expect(
      try Self.verify(try Self.es256(header: ["alg": "ES256"]), keys: onlyEC).text("sub")
        == "8f1c2d")
  }

  @Test func aTokenWithoutKidIsTriedAgainstEveryKeyOfItsAlg() throws {
    let keys = Self.keySet([
      try Self.rsaJWK(Self.otherRSA.publicKey, kid: "old"), try Self.rsaJWK(kid: "new"),
    ])
    #expect(keys.count == 2)
    let token = try Self.rs256(header: ["alg": "RS256"])
    #expect(try Self.refusal(token, keys: keys) == nil)
    // Named, it is checked only against the key of that kid.
    let named = try Self.rs256(header: ["alg": "RS256", "kid": "old"])
    #expect(try Self.refusal(named, keys: keys) == "the ID token's signature does not verify")
  }

  @Test func theSkewIsAMinuteEitherWay() throws {
    // Expired 59 seconds ago, issued 59 seconds ahead: still within the skew.
    let edge = try Self.rs256(Self.claims(["exp": Self.seconds - 59, "iat": Self.seconds + 59]))
    #expect(try Self.refusal(edge) == nil)
    // Exactly a minute past exp is too late.
    let minute = try Self.rs256(Self.claims(["exp": Self.seconds - 60]))
    #expect(try Self.refusal(minute) == "the ID token has expired (or has no exp)")
    // No iat at all is allowed.
    #expect(try Self.refusal(try Self.rs256(Self.claims(["iat": nil]))) == nil)
  }

  // MARK: Refusals

  @Test func aTamperedPayloadDoesNotVerify() throws {
    let token = try Self.rs256()
    let parts = token.split(separator: ".").map(String.init)
    let forged = Self.b64(Self.json(Self.claims(["preferred_username": "admin"])))
    let tampered = [parts[0], forged, parts[2]].joined(separator: ".")
    #expect(try Self.refusal(tampered) == "the ID token's signature does not verify")
    // The same for ES256, and for a signature by a key the provider does not have.
    let es = try Self.es256().split(separator: ".").map(String.init)
    #expect(
      try Self.refusal([es[0], forged, es[2]].joined(separator: "."))
        == "the ID token's signature does not verify")
    #expect(
      try Self.refusal(try Self.rs256(key: Self.otherRSA))
        == "the ID token's signature does not verify")
    // A signature of the right length but all zeros, and an empty one.
    let zeros = Self.b64([UInt8](repeating: 0, count: 256))
    #expect(
      try Self.refusal([parts[0], parts[1], zeros].joined(separator: "."))
        == "the ID token's signature does not verify")
    #expect(
      try Self.refusal([parts[0], parts[1], ""].joined(separator: "."))
        == "the ID token's signature does not verify")
  }

  @Test func algNoneAndHS256HaveNoKey() throws {
    let payload = Self.b64(Self.json(Self.claims()))
    let none = Self.b64(Self.json(["alg": "none"])) + "." + payload + "."
    #expect(try Self.refusal(none) == "no key of the provider for alg none and kid none")
    // HS256 "signed" with the RSA key's public modulus as the shared secret.
    let header = Self.b64(Self.json(["alg": "HS256", "kid": "r1"]))
    let secret = try Self.rsa.publicKey.getKeyPrimitives().modulus
    let mac = HMAC<SHA256>.authenticationCode(
      for: Array((header + "." + payload).utf8), using: SymmetricKey(data: secret))
    let hs = header + "." + payload + "." + Self.b64(Array(mac))
    #expect(try Self.refusal(hs) == "no key of the provider for alg HS256 and kid r1")
    // An ES256 token with only RSA keys, an RS256 token with only EC keys.
    #expect(
      try Self.refusal(
        try Self.es256(header: ["alg": "ES256"]), keys: Self.keySet([try Self.rsaJWK()]))
        == "no key of the provider for alg ES256 and kid none")
    #expect(
      try Self.refusal(try Self.rs256(header: ["alg": "RS256"]), keys: Self.keySet([Self.ecJWK()]))
        == "no key of the provider for alg RS256 and kid none")
    // A key that says it is for RS384 is not used for RS256.
    #expect(
      try Self.refusal(try Self.rs256(), keys: Self.keySet([try Self.rsaJWK(alg: "RS384")]))
        == "no key of the provider for alg RS256 and kid r1")
    // No keys at all.
    #expect(
      try Self.refusal(try Self.rs256(), keys: [])
        == "no key of the provider for alg RS256 and kid r1")
  }

  @Test func aKeyOfAnotherKidIsNotUsed() throws {
    let token = try Self.rs256(header: ["alg": "RS256", "kid": "rotated-2026"])
    #expect(
      try Self.refusal(token) == "no key of the provider for alg RS256 and kid rotated-2026")
    // Marked as an unknown key, which makes the provider read its keys
    // again; a signature that does not verify is not.
    let keys = try Self.keys()
    let expected = IDToken.Expected(
      issuer: Self.issuer, clientID: Self.client, nonce: Self.nonce, now: Self.now)
    #expect {
      try IDToken.verify(token, keys: keys, expected: expected)
    } throws: {
      ($0 as? IDToken.Invalid)?.unknownKey == true
    }
    #expect {
      try IDToken.verify(try Self.rs256(key: Self.otherRSA), keys: keys, expected: expected)
    } throws: {
      ($0 as? IDToken.Invalid).map { !$0.unknownKey } == true
    }
  }

  @Test func aHeaderThatIsNotJSONWithAlgIsRefused() throws {
    let rest = try Self.rs256().split(separator: ".").dropFirst().joined(separator: ".")
    for header in [Self.b64(Self.json(["kid": "r1"])), Self.b64(Array("[1]".utf8)), "e30"] {
      #expect(
        try Self.refusal(header + "." + rest) == "the ID token's header is not JSON with alg",
        "\(header)")
    }
    #expect(
      try Self.refusal(Self.b64(Self.json(["alg": 256])) + "." + rest)
        == "the ID token's header is not JSON with alg")
  }

  @Test func claimsThatAreNotAnObjectAreRefusedAfterTheSignature() throws {
    let header = Self.b64(Self.json(["alg": "RS256", "kid": "r1"]))
    let input = header + "." + Self.b64(Array("[\"iss\"]".utf8))
    let signature = try Self.rsa.signature(
      for: SHA256.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5)
    #expect(
      try Self.refusal(input + "." + Self.b64(signature.rawRepresentation))
        == "the ID token's claims are not a JSON object")
  }

  @Test func notThreeBase64urlPartsIsRefused() throws {
    let token = try Self.rs256()
    let parts = token.split(separator: ".").map(String.init)
    let message = "the ID token is not a signed JWT (three base64url parts)"
    for bad in [
      "", ".", "...", "A.A.A", parts[0] + "." + parts[1], token + ".", token + "." + parts[2],
      parts[0] + "=." + parts[1] + "." + parts[2], parts[0] + "." + parts[1] + "+." + parts[2],
      parts[0] + "." + parts[1] + "." + parts[2] + "/", " " + token, token + "\n",
    ] {
      #expect(try Self.refusal(bad) == message, "\(bad.prefix(40))")
    }
  }

  @Test func theIssuerMustBeTheProvider() throws {
    let expected = "the ID token's issuer is not \(Self.issuer)"
    for issuer: Any? in [
      "https://evil.example/realms/krise", Self.issuer + "/",
      "HTTPS://LOGIN.KOMMUNE.DK/realms/krise",
      nil, [Self.issuer],
    ] {
      #expect(try Self.refusal(try Self.rs256(Self.claims(["iss": issuer]))) == expected)
    }
  }

  @Test func theAudienceMustBeThisClient() throws {
    let expected = "the ID token is not for this client (aud)"
    for aud: Any? in ["other-app", ["other-app", "third"], nil, [], "COMMSD", "commsd "] {
      #expect(
        try Self.refusal(try Self.rs256(Self.claims(["aud": aud]))) == expected, "\(aud ?? "nil")")
    }
  }

  @Test func severalAudiencesNeedThisClientAsAzp() throws {
    let expected = "the ID token has several audiences and another azp"
    for azp: Any? in [nil, "other-app", [Self.client]] {
      let token = try Self.rs256(Self.claims(["aud": [Self.client, "other-app"], "azp": azp]))
      #expect(try Self.refusal(token) == expected, "\(azp ?? "nil")")
    }
  }

  @Test func anExpiredTokenIsRefused() throws {
    let expected = "the ID token has expired (or has no exp)"
    for exp: Any? in [Self.seconds - 61, Self.seconds - 86_400, 0, nil, "\(Self.seconds + 300)"] {
      #expect(
        try Self.refusal(try Self.rs256(Self.claims(["exp": exp]))) == expected, "\(exp ?? "nil")")
    }
    // The good token, an hour later.
    #expect(try Self.refusal(try Self.rs256(), now: Self.now + 3600) == expected)
  }

  @Test func aTokenIssuedInTheFutureIsRefused() throws {
    let expected = "the ID token was issued in the future (iat)"
    let token = try Self.rs256(Self.claims(["iat": Self.seconds + 61, "exp": Self.seconds + 600]))
    #expect(try Self.refusal(token) == expected)
    // The same token is fine two minutes later.
    #expect(try Self.refusal(token, now: Self.now + 120) == nil)
  }

  @Test func theNonceMustBeThisSignInsOwn() throws {
    let expected = "the ID token's nonce is not this sign-in's"
    #expect(try Self.refusal(try Self.rs256(Self.claims(["nonce": nil]))) == expected)
    #expect(try Self.refusal(try Self.rs256(Self.claims(["nonce": "n-other"]))) == expected)
    #expect(try Self.refusal(try Self.rs256(Self.claims(["nonce": ""]))) == expected)
    #expect(try Self.refusal(try Self.rs256(Self.claims(["nonce": [Self.nonce]]))) == expected)
    #expect(try Self.refusal(try Self.rs256(), nonce: "n-another-sign-in") == expected)
    #expect(try Self.refusal(try Self.rs256(), nonce: Self.nonce + "x") == expected)
  }

  @Test func aTokenOverMaxBytesIsRefused() throws {
    // Padded with a filler claim to exactly the limit, and one character past it.
    // (base64url lengths skip 4m + 1, so the header varies too.)
    let headers: [[String: Any]] = [
      ["alg": "RS256", "kid": "r1"], ["alg": "RS256"], ["alg": "RS256", "kid": "r1", "typ": "JWT"],
    ]
    func token(filler: Int, header: Int) throws -> String {
      try Self.rs256(
        Self.claims(["filler": String(repeating: "x", count: filler)]), header: headers[header])
    }
    var atLimit: String?
    var overLimit: String?
    let base = try token(filler: 0, header: 0).utf8.count
    let start = (IDToken.maxBytes - base) * 3 / 4 - 8
    for filler in start...(start + 32) {
      for header in headers.indices {
        let candidate = try token(filler: filler, header: header)
        if candidate.utf8.count == IDToken.maxBytes { atLimit = candidate }
        if candidate.utf8.count == IDToken.maxBytes + 1 { overLimit = candidate }
      }
    }
    let accepted = try #require(atLimit)
    let refused = try #require(overLimit)
    #expect(try Self.refusal(accepted) == nil)
    #expect(try Self.refusal(refused) == "the ID token is too large")
    #expect(
      try Self.refusal(String(repeating: "A", count: 1_000_000)) == "the ID token is too large")
  }

  /// The last base64url character of a signature carries padding bits
  /// as well as signature bits: any other character there must be
  /// refused, not read as the same signature.
  @Test func anotherLastCharacterOfTheSignatureIsRefused() throws {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    for good in [try Self.rs256(), try Self.es256()] {
      let stem = good.dropLast()
      // A character that changes the signature's bits fails to verify;
      // one that only changes the padding bits is not read at all.
      let refused = try alphabet.filter {
        try Self.refusal(stem + String($0)) == "the ID token's signature does not verify"
      }
      #expect(refused.count == 3, "\(refused)")  // 2 bits of signature: 3 other values
      // Foundation's decoder ignores the low bits of the last character
      // (RFC 4648 3.5 lets a decoder refuse them): 342 characters of RS256
      // signature and 86 of ES256 end in 2 bits of signature and 4 of
      // padding, so 15 other characters would give the same bytes. Only
      // the text the provider signed is taken.
      let accepted = try alphabet.filter { $0 != good.last }.filter {
        try Self.refusal(stem + String($0)) == nil
      }
      #expect(accepted.isEmpty, "\(good.prefix(10)): accepted with last character \(accepted)")
    }
  }
}
