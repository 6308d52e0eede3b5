import Foundation
import Testing

@testable import CommsCore

/// `FormBody`: a browser's `application/x-www-form-urlencoded` body read
/// in order, `+` as a space, `%XX` as bytes that must make UTF-8; bad
/// escapes and too many fields refused with `FormBody.Invalid`, never a
/// trap; `encoded` reads back to the same fields.
@Suite struct FormBodyTests {
  static func parse(_ text: String) throws(FormBody.Invalid) -> FormBody {
    try FormBody.parse(Array(text.utf8))
  }

  static func pairs(_ form: FormBody) -> [String] {
    form.fields.map { "\($0.name)=\($0.value)" }
  }

  @Test func fieldsAreReadInOrderWithRepeatsSpacesAndUTF8() throws {
    let form = try Self.parse("a=1&b=x+y&c=%C3%A6&a=2")
    #expect(Self.pairs(form) == ["a=1", "b=x y", "c=æ", "a=2"])
    #expect(form["a"] == "1", "the first value of a repeated name")
    #expect(form.all("a") == ["1", "2"])
    #expect(form.all("b") == ["x y"])
    #expect(form.all("nothing").isEmpty)
    #expect(form["c"] == "æ" && form["nothing"] == nil)
    // Escapes for the characters that separate, and a literal plus.
    let escaped = try Self.parse("q=a%26b%3Dc%2Bd&%61=%2b")
    #expect(Self.pairs(escaped) == ["q=a&b=c+d", "a=+"])
    // Lower- and upper-case hex alike; a multi-byte character split into escapes.
    #expect(try Self.parse("x=%c3%a6%C3%B8%E2%82%AC")["x"] == "æø€")
  }

  @Test func emptyValuesAndEmptyPairs() throws {
    let form = try Self.parse("a=&b&=v&&c=")
    #expect(Self.pairs(form) == ["a=", "b=", "=v", "c="])
    #expect(form["a"] == "" && form["b"] == "" && form[""] == "v")
    #expect(try Self.parse("").fields.isEmpty)
    #expect(try Self.parse("&&&").fields.isEmpty)
    // Only the first `=` separates.
    #expect(try Self.parse("k=a=b")["k"] == "a=b")
  }

  @Test func textIsTrimmedAndNilWhenBlank() throws {
    let form = try Self.parse("a=+++&b=%0A%09+x+y+%0D%0A&c=&d=z&d=w")
    #expect(form.text("a") == nil, "only spaces")
    #expect(form.text("b") == "x y", "trimmed of spaces, tabs and new lines")
    #expect(form.text("c") == nil)
    #expect(form.text("missing") == nil)
    #expect(form.text("d") == "z")
    #expect(form["a"] == "   ", "the subscript keeps the value as sent")
  }

  @Test(arguments: ["a=%", "a=%G1", "a=%4", "%=1", "a=1&b=%zz", "a=x%", "a=%%41", "a=%FF"])
  func aBadEscapeOrNonUTF8IsInvalid(text: String) {
    #expect(throws: FormBody.Invalid.self) { try Self.parse(text) }
  }

  @Test func theErrorsSayWhatWasWrong() {
    #expect {
      try Self.parse("a=%G1")
    } throws: {
      "\($0)".contains("% escape")
    }
    #expect {
      try Self.parse("a=%FF")
    } throws: {
      "\($0)".contains("not UTF-8")
    }
    // A raw byte that is not UTF-8 is refused as well as an escaped one.
    #expect(throws: FormBody.Invalid.self) { try FormBody.parse([0x61, 0x3D, 0xC3]) }
    #expect(throws: FormBody.Invalid.self) { try FormBody.parse([0xFF, 0x3D, 0x31]) }
  }

  @Test func atMostMaxFieldsFields() throws {
    let allowed = (0..<FormBody.maxFields).map { "f\($0)=\($0)" }.joined(separator: "&")
    let form = try Self.parse(allowed)
    #expect(form.fields.count == FormBody.maxFields)
    #expect(form["f499"] == "499")
    #expect {
      try Self.parse(allowed + "&one=more")
    } throws: {
      ($0 as? FormBody.Invalid)?.description.contains("more than \(FormBody.maxFields)") == true
    }
    // Empty pairs are no fields: they do not count.
    #expect(try Self.parse(allowed + "&&&").fields.count == FormBody.maxFields)
  }

  @Test func encodedReadsBackToTheSameFields() throws {
    let form = FormBody([
      ("a", "1"), ("b", "x y"), ("c", "æ€"), ("a", "2"), ("", ""), ("k=&+%", "v=&+% ~._-"),
      ("newline", "one\ntwo\r\n"), ("emoji", "🚨"), ("blank", ""),
    ])
    let text = form.encoded
    #expect(text.hasPrefix("a=1&b=x+y&c=%C3%A6%E2%82%AC&a=2&=&"))
    #expect(text.contains("k%3D%26%2B%25=v%3D%26%2B%25+~._-"))
    #expect(text.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 })
    #expect(try FormBody.parse(Array(text.utf8)) == form)
    #expect(FormBody().encoded == "")
  }

  @Test func equalityComparesNamesValuesAndOrder() {
    #expect(FormBody([("a", "1"), ("b", "2")]) == FormBody([("a", "1"), ("b", "2")]))
    #expect(FormBody([("a", "1"), ("b", "2")]) != FormBody([("b", "2"), ("a", "1")]))
    #expect(FormBody([("a", "1")]) != FormBody([("a", "2")]))
    #expect(FormBody([("a", "1")]) != FormBody([("a", "1"), ("a", "1")]))
  }

  /// Seeded fuzz: random bytes rich in the characters the parser treats
  /// specially. Parsing never traps; whatever parses encodes to a body
  /// that parses to the same fields.
  @Test func fuzzedBodiesNeverTrapAndWhatParsesRoundTrips() throws {
    var generator = SeededGenerator(state: 0xF0_2B0D)
    let alphabet: [UInt8] =
      Array("%%%+++===&&&0123456789abcdefABCDEFGgz ~._-".utf8) + [0x00, 0x0A, 0x7F]
      + [0x80, 0xA6, 0xBF, 0xC3, 0xE2, 0xF0, 0xFF]
    var parsed = 0
    var refused = 0
    for _ in 0..<5_000 {
      let length = Int.random(in: 0...200, using: &generator)
      var bytes: [UInt8] = []
      bytes.reserveCapacity(length)
      for _ in 0..<length {
        if Int.random(in: 0..<8, using: &generator) == 0 {
          bytes.append(UInt8.random(in: 0...255, using: &generator))
        } else {
          bytes.append(alphabet.randomElement(using: &generator)!)
        }
      }
      guard let body = try? FormBody.parse(bytes) else {
        refused += 1
        continue
      }
      parsed += 1
      #expect(body.fields.count <= FormBody.maxFields)
      // A second parse that throws is an issue too, not a refusal.
      #expect(try FormBody.parse(Array(body.encoded.utf8)) == body, "\(bytes)")
    }
    // Both outcomes are exercised, or the fuzz proves little.
    #expect(parsed > 100 && refused > 100, "parsed \(parsed), refused \(refused)")
  }
}
