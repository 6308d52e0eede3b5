import Crypto
import CryptoExtras
import Foundation
import Testing

@testable import CommsCore

/// The provider's key set, PKCE's challenge, and ID tokens from a fuzzer
/// (the signing helpers are `IDTokenTests`').
@Suite struct JWKSetTests {
  // MARK: The key set

  @Test func theKeySetKeepsOnlySigningKeysItCanUse() throws {
    let rsa = try IDTokenTests.rsaJWK(kid: "r1", alg: nil)
    var encryption = try IDTokenTests.rsaJWK(kid: "enc")
    encryption["use"] = "enc"
    var noUse = try IDTokenTests.rsaJWK(kid: "plain")
    noUse["use"] = nil
    var badN = try IDTokenTests.rsaJWK(kid: "bad-n")
    badN["n"] = "a+b/c="
    var noE = try IDTokenTests.rsaJWK(kid: "no-e")
    noE["e"] = nil
    var shortX = IDTokenTests.ecJWK(kid: "short-x")
    shortX["x"] = IDTokenTests.b64([UInt8](repeating: 1, count: 31))
    var badY = IDTokenTests.ecJWK(kid: "bad-y")
    badY["y"] = "!!!!"
    let keys = IDTokenTests.keySet([
      rsa, encryption, noUse, ["kty": "oct", "kid": "hmac", "k": "c2VjcmV0"],
      [
        "kty": "OKP", "crv": "Ed25519", "kid": "ed",
        "x": IDTokenTests.b64([UInt8](repeating: 7, count: 32)),
      ],
      IDTokenTests.ecJWK(kid: "p384", crv: "P-384"), IDTokenTests.ecJWK(kid: "e1"), badN, noE,
      shortX, badY,
      ["kid": "no-kty", "n": "AQAB", "e": "AQAB"],
      ["kty": "EC", "kid": "no-crv", "x": "AA", "y": "AA"],
    ])
    #expect(keys.map(\.kid) == ["r1", "plain", "e1"])
    #expect(keys.map(\.kty) == ["RSA", "RSA", "EC"])
    #expect(keys[0].alg == nil && keys[0].n.count == 256 && keys[0].e == [1, 0, 1])
    #expect(keys[2].x.count == 32 && keys[2].y.count == 32)
    // The encryption key cannot verify a token that names it.
    #expect(
      try IDTokenTests.refusal(
        try IDTokenTests.rs256(header: ["alg": "RS256", "kid": "enc"]), keys: keys)
        == "no key of the provider for alg RS256 and kid enc")
    // The keys kept do.
    #expect(try IDTokenTests.refusal(try IDTokenTests.rs256(), keys: keys) == nil)
    #expect(try IDTokenTests.refusal(try IDTokenTests.es256(), keys: keys) == nil)
  }

  @Test func aKeySetThatIsNotOneIsEmpty() {
    for text in [
      "", "null", "[]", "{}", "{\"keys\": {}}", "{\"keys\": [1, \"x\"]}", "{\"keys\": [{}]}",
      "{\"keys\": [", "\u{FEFF}{\"keys\":[]}",
    ] {
      #expect(JWK.set(Array(text.utf8)).isEmpty, "\(text)")
    }
    #expect(JWK.set([0xFF, 0xFE, 0x00]).isEmpty)
  }

  @Test func atMostFiftyKeysAreRead() throws {
    let key = try IDTokenTests.rsaJWK(kid: nil)
    #expect(IDTokenTests.keySet(Array(repeating: key, count: 60)).count == 50)
  }

  // MARK: PKCE

  @Test func theChallengeIsRFC7636AppendixB() {
    #expect(
      OIDCProvider.challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    #expect(OIDCProvider.challenge("") == "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU")
  }

  // MARK: Fuzz

  /// Seeded fuzz: random strings of base64url characters and dots, and
  /// mutations of one good token (characters changed, inserted or
  /// removed, truncated, parts swapped, repeated or dropped). Nothing
  /// traps, and nothing but the good token itself is accepted.
  @Test func fuzzedTokensNeverTrapAndOnlyTheGoodOneIsAccepted() throws {
    var generator = SeededGenerator(state: 0x1D_70CE)
    let keys = try IDTokenTests.keys()
    let good = try IDTokenTests.rs256()
    #expect(try IDTokenTests.refusal(good, keys: keys) == nil)
    let goodParts = good.split(separator: ".").map(String.init)
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    let unusual: [Character] = [".", "=", "+", "/", " ", "é", "\0"]
    func character() -> Character {
      Int.random(in: 0..<16, using: &generator) == 0
        ? unusual.randomElement(using: &generator)! : alphabet.randomElement(using: &generator)!
    }
    var refusals: [String: Int] = [:]
    var accepted = 0
    var sameSignature = 0
    let signingInput = goodParts[0] + "." + goodParts[1] + "."
    for round in 0..<3_000 {
      var candidate: String
      switch round % 4 {
      case 0:
        // Random characters with dots now and then.
        let length = Int.random(in: 0...400, using: &generator)
        candidate = String(
          (0..<length).map { _ in
            Int.random(in: 0..<30, using: &generator) == 0 ? "." : character()
          })
      case 1:
        // One to four characters of the good token changed.
        var characters = Array(good)
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
          let at = Int.random(in: 0..<characters.count, using: &generator)
          var replacement = character()
          while replacement == characters[at] { replacement = character() }
          characters[at] = replacement
        }
        candidate = String(characters)
      case 2:
        // Truncated, or with a character inserted or removed.
        var characters = Array(good)
        let at = Int.random(in: 0..<characters.count, using: &generator)
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: characters = Array(characters[..<at])
        case 1: characters.insert(character(), at: at)
        default: characters.remove(at: at)
        }
        candidate = String(characters)
      default:
        // The parts swapped, repeated, dropped or taken from random text,
        // or a header naming another algorithm. (The good token's signature
        // comes from a key made afresh for each run, so the mutations above
        // reach the header's algorithm a different number of times in each:
        // this case makes sure they reach it.)
        var parts = goodParts
        switch Int.random(in: 0..<5, using: &generator) {
        case 0: parts.swapAt(0, Int.random(in: 1...2, using: &generator))
        case 1:
          parts[Int.random(in: 0...2, using: &generator)] = parts.randomElement(using: &generator)!
        case 2: parts.remove(at: Int.random(in: 0...2, using: &generator))
        case 3:
          parts[Int.random(in: 0...2, using: &generator)] = String(
            (0..<Int.random(in: 0...120, using: &generator)).map { _ in character() })
        default:
          let alg = ["RS512", "ES256", "HS256", "none", "RS25", ""].randomElement(using: &generator)
          parts[0] = IDTokenTests.b64(IDTokenTests.json(["alg": alg ?? "", "kid": "r1"]))
        }
        candidate = parts.joined(separator: ".")
      }
      if candidate == good { continue }
      if let refusal = try IDTokenTests.refusal(candidate, keys: keys) {
        refusals[String(refusal.prefix(60)), default: 0] += 1
      } else if candidate.split(separator: ".", omittingEmptySubsequences: false).map({
        IDToken.base64url($0)
      }) == goodParts.map({ IDToken.base64url($0[...]) }), candidate.hasPrefix(signingInput) {
        // The known issue of anotherLastCharacterOfTheSignatureIsRefused:
        // the same signature bytes written with other padding bits.
        sameSignature += 1
      } else {
        accepted += 1
        Issue.record("accepted a token that is not the one signed: \(candidate)")
      }
    }
    #expect(accepted == 0)
    #expect(sameSignature <= 3, "a mutation of the last character only, and rarely")
    // The fuzz reached the header, the keys and the signature, not only the split.
    for message in [
      "the ID token is not a signed JWT", "the ID token's header is not JSON",
      "the ID token's signature does not verify", "no key of the provider for alg",
    ] {
      let count = refusals.filter { $0.key.hasPrefix(message) }.map(\.value).reduce(0, +)
      #expect(count >= 3, "\(message): \(refusals)")
    }
  }
}
