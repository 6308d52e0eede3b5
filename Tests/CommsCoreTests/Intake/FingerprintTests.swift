import Foundation
import Testing

@testable import CommsCore

/// Fingerprints are stored with their messages and compared when an
/// idempotency key comes again, so `JSONWriter`'s essence must be the
/// encoder's bytes exactly; so must the message row's JSON columns, which the
/// store reads back with `JSONDecoder`.
@Suite struct FingerprintTests {
  /// Text that JSON must escape, or that an escaper could get wrong:
  /// quotes, backslashes, slashes, every control character, DEL, line and
  /// paragraph separators, combining marks, emoji, right-to-left script.
  static let pieces: [String] =
    ["a", "Å", "æøå", "\"", "\\", "/", "</script>", "\u{7F}", "\u{2028}", "\u{2029}", "e\u{301}"]
    + ["👩‍👩‍👧", "مرحبا", "\u{FEFF}", " ", "   ", "{}", "[\"x\"]", "\\u0041", "%s"]
    + (UInt8.zero..<0x20).map { String(UnicodeScalar($0)) }

  static func text(_ random: inout SeededGenerator, upTo count: Int) -> String {
    (0..<Int.random(in: 0...count, using: &random)).map { _ in
      pieces.randomElement(using: &random) ?? ""
    }.joined()
  }

  static func request(_ random: inout SeededGenerator) -> SendRequest {
    // Mostly language keys the writer takes; now and then one it leaves to
    // the encoder (capitals), so both paths meet the same inputs.
    let languages = ["da", "en", "ar", "uk", "de-at", "en-gb", "fa", "so", "en-GB", "ti"]
    var contents: [String: MessageContent] = [:]
    for _ in 0..<Int.random(in: 1...4, using: &random) {
      contents[languages.randomElement(using: &random) ?? "da"] = MessageContent(
        subject: text(&random, upTo: 6), body: text(&random, upTo: 40),
        sms: Bool.random(using: &random) ? text(&random, upTo: 8) : nil)
    }
    let conditions = (0..<Int.random(in: 0...2, using: &random)).map { _ in
      RecipientFilter.Condition(
        attribute: text(&random, upTo: 2),
        values: (0..<Int.random(in: 1...3, using: &random)).map { _ in text(&random, upTo: 3) })
    }
    let at = Date(
      timeIntervalSince1970: Double(Int.random(in: 1_700_000_000...1_900_000_000, using: &random)))
    var request = SendRequest(
      audiences: (0..<Int.random(in: 1...3, using: &random)).map { _ in text(&random, upTo: 3) },
      priority: Priority.allCases.randomElement(using: &random) ?? .normal,
      kind: MessageKind.allCases.randomElement(using: &random) ?? .alert, contents: contents,
      idempotencyKey: "k", sender: Sender(kind: .api, name: "bench", origin: "test"),
      filter: RecipientFilter(conditions: conditions),
      supersedes: Bool.random(using: &random)
        ? MessageID(rawValue: "msg_" + text(&random, upTo: 3)) : nil,
      expiresAt: Bool.random(using: &random) ? at : nil,
      mode: MessageMode.allCases.randomElement(using: &random) ?? .actual,
      confirmation: Int.random(in: 0..<8, using: &random) == 0
        ? ConfirmationRequest(cycles: 2) : nil)
    if Bool.random(using: &random) { request.notBefore = at.addingTimeInterval(60) }
    return request
  }

  @Test func theWrittenEssenceIsTheEncodersBytes() {
    var random = SeededGenerator(state: 25)
    var written = 0
    var encoded = 0
    for _ in 0..<3_000 {
      let request = Self.request(&random)
      let reference = Intake.encodedEssence(of: request)
      guard let bytes = Intake.writtenEssence(of: request) else {
        // Left to the encoder: a confirmation, or a key in capitals.
        #expect(
          request.confirmation != nil || request.contents.keys.contains { $0 != $0.lowercased() })
        encoded += 1
        continue
      }
      written += 1
      #expect(
        bytes == reference,
        "\(String(decoding: bytes, as: UTF8.self))\n\(String(decoding: reference, as: UTF8.self))")
    }
    // Both paths were taken, the writer's for most.
    #expect(written > 2_000 && encoded > 100, "written \(written), encoded \(encoded)")
  }

  @Test func theStoredColumnsAreTheEncodersText() throws {
    var random = SeededGenerator(state: 17)
    for _ in 0..<2_000 {
      let request = Self.request(&random)
      #expect(JSONWriter.text(strings: request.audiences) == JSONCoding.string(request.audiences))
      #expect(JSONWriter.text(filter: request.filter) == JSONCoding.string(request.filter))
      if let text = JSONWriter.text(contents: request.contents) {
        #expect(text == JSONCoding.string(request.contents))
        let back = try JSONCoding.decoder().decode(
          [String: MessageContent].self, from: Data(text.utf8))
        #expect(back == request.contents)
      }
    }
  }

  /// A fingerprint as stored before this writer, for a request of the
  /// benchmark's shape: the hash of the encoder's JSON, worked out apart
  /// (Python's `json.dumps` with sorted keys, compact, UTF-8, and SHA-256).
  @Test func aFingerprintStoredEarlierStillMatches() {
    let request = SendRequest(
      audiences: ["bench"], priority: .normal, kind: .update,
      contents: [
        "da": MessageContent(
          subject: "Vandforsyning", body: "Kog vandet/drik ikke \"det\" – på Ærø.")
      ],
      idempotencyKey: "k", sender: Sender(kind: .api, name: "bench", origin: "test"))
    #expect(Intake.writtenEssence(of: request) != nil)
    #expect(
      Intake.fingerprint(of: request)
        == "ca65148d4faed77079a7e4a8547f6ac80b6e64ee1ac0b8e3daf88785ce2a81c4")
  }
}
