import Crypto
import Testing

@testable import CommsCore

/// HMAC-SHA256 keyed once (`KeyedSHA256`), held to RFC 4231's vectors and
/// to swift-crypto's `HMAC<SHA256>`.
@Suite struct KeyedSHA256Tests {
  static func hex(_ digest: SHA256Digest) -> String {
    digest.map {
      let text = String($0, radix: 16)
      return text.count == 1 ? "0" + text : text
    }
    .joined()
  }

  static func code(_ key: [UInt8], _ parts: [[UInt8]]) -> SHA256Digest {
    KeyedSHA256(key: key).code { hash in
      for part in parts { part.withUnsafeBytes { hash.update(bufferPointer: $0) } }
    }
  }

  /// RFC 4231, section 4: test cases 1, 2, 3, 4, 6 and 7 (case 5 is a
  /// truncated code), checked again with Python's `hmac` module.
  @Test func rfc4231Vectors() {
    let keyOf131 = [UInt8](repeating: 0xAA, count: 131)
    let cases: [([UInt8], [UInt8], String)] = [
      (
        [UInt8](repeating: 0x0B, count: 20), Array("Hi There".utf8),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
      ),
      (
        Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
      ),
      (
        [UInt8](repeating: 0xAA, count: 20), [UInt8](repeating: 0xDD, count: 50),
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
      ),
      (
        Array(1...25), [UInt8](repeating: 0xCD, count: 50),
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
      ),
      (
        keyOf131, Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
      ),
      (
        keyOf131,
        Array(
          ("This is a test using a larger than block-size key and a larger than block-size data."
            + " The key needs to be hashed before being used by the HMAC algorithm.").utf8),
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
      ),
    ]
    for (key, data, expected) in cases {
      #expect(Self.hex(Self.code(key, [data])) == expected)
    }
  }

  /// Seeded: keys of 0 to 200 bytes (shorter than, equal to and longer
  /// than a block), messages of up to 3 KiB fed in up to five parts, and
  /// the same keyed value used again (its states must not change).
  @Test func matchesCryptosHMACOverSeededInputs() {
    var random = SeededGenerator(state: 0x5EED_2025)
    for round in 0..<300 {
      let keySize = round < 3 ? [0, 64, 65][round] : Int.random(in: 0...200, using: &random)
      let key = (0..<keySize).map { _ in UInt8.random(in: 0...255, using: &random) }
      let keyed = KeyedSHA256(key: key)
      for _ in 0..<2 {
        let size = Int.random(in: 0...3_072, using: &random)
        let message = (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }
        var cuts = (0..<Int.random(in: 0...4, using: &random)).map { _ in
          Int.random(in: 0...size, using: &random)
        }
        cuts = [0] + cuts.sorted() + [size]
        let parts = zip(cuts, cuts.dropFirst()).map { Array(message[$0..<$1]) }
        let code = keyed.code { hash in
          for part in parts { part.withUnsafeBytes { hash.update(bufferPointer: $0) } }
        }
        let expected = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
        #expect(Array(code) == Array(expected), "key of \(keySize) bytes, message of \(size)")
      }
    }
  }
}
