import Crypto
import Foundation
import Testing

@testable import CommsCore

/// Base64 and hexadecimal text written without Foundation's help (the
/// webhook signature and the audit chain's hashes, issue 25): the same text
/// as Foundation's and as a plain byte loop, for every length around the
/// encodings' block and buffer sizes, over seeded random bytes.
@Suite struct ByteTextTests {
  @Test func base64IsFoundationsForEveryLengthUpTo200() {
    var generator = SeededGenerator(state: 0x2025_1204)
    for length in 0...200 {
      let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
      let expected = "v1," + Data(bytes).base64EncodedString()
      let written = bytes.withUnsafeBytes { Base64Text.encode($0, after: "v1,") }
      #expect(written == expected, "length \(length)")
      #expect(bytes.withUnsafeBytes { Base64Text.encode($0) } == Data(bytes).base64EncodedString())
    }
  }

  @Test func lowerHexIsTheByteLoopsOnAndBeyondTheStackBuffer() {
    var generator = SeededGenerator(state: 7)
    for length in [0, 1, 31, 32, 63, 64, 65, 100, 1_000] {
      let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
      let expected = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
      #expect(LowerHex.string(bytes) == expected, "length \(length)")
    }
    let digest = SHA256.hash(data: Data("commsd".utf8))
    #expect(LowerHex.string(digest) == digest.map { String(format: "%02x", $0) }.joined())
  }
}
