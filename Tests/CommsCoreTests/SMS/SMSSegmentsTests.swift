import Testing

@testable import CommsCore

/// Segment counts against the known limits (docs/providers/REFERENCE.md §5):
/// 160 septets in one SMS and 153 per part in GSM-7, 70 and 67 UTF-16 units
/// in UCS-2, extension characters two septets, an emoji two units, and no
/// part splitting an escape pair or a surrogate pair.
@Suite struct SMSSegmentsTests {
  func count(_ text: String) -> SMSSegments { SMSSegments(text) }

  @Test func gsm7BoundariesAre160And153() {
    #expect(
      count(String(repeating: "a", count: 160)) == .init(encoding: .gsm7, units: 160, count: 1))
    #expect(
      count(String(repeating: "a", count: 161)) == .init(encoding: .gsm7, units: 161, count: 2))
    #expect(count(String(repeating: "a", count: 306)).count == 2)
    #expect(count(String(repeating: "a", count: 307)).count == 3)
    #expect(count("").count == 0)
  }

  @Test func danishLettersAreInTheGSMAlphabet() {
    let text = "Æble, øl og å: ÆØÅ æøå é É ä ö ü Ä Ö Ü ñ Ñ ß § ¿ ¡ ¤ £ ¥ @ $ _ Δ Ω"
    #expect(count(text).encoding == .gsm7)
    #expect(count(text).units == text.unicodeScalars.count)
  }

  @Test func extensionCharactersCountDouble() {
    #expect(count("€").units == 2)
    #expect(count("[]{}|~^\\€\u{0C}").units == 20)
    // 80 euro signs are 160 septets: one SMS; one more and it is two parts.
    #expect(
      count(String(repeating: "€", count: 80)) == .init(encoding: .gsm7, units: 160, count: 1))
    #expect(count(String(repeating: "€", count: 81)).count == 2)
  }

  @Test func anEscapePairIsNeverSplitAcrossParts() {
    // 306 septets would be two parts of 153 if the pair could be split;
    // the euro (2 septets) does not fit after 152, so it opens part two,
    // which then holds it and 151 more: the last "a" takes a third SMS.
    let text = String(repeating: "a", count: 152) + "€" + String(repeating: "a", count: 152)
    #expect(count(text) == .init(encoding: .gsm7, units: 306, count: 3))
    let fits = String(repeating: "a", count: 151) + "€" + String(repeating: "a", count: 153)
    #expect(count(fits) == .init(encoding: .gsm7, units: 306, count: 2))
  }

  @Test func ucs2BoundariesAre70And67() {
    #expect(count(String(repeating: "ش", count: 70)) == .init(encoding: .ucs2, units: 70, count: 1))
    #expect(count(String(repeating: "ش", count: 71)) == .init(encoding: .ucs2, units: 71, count: 2))
    #expect(count(String(repeating: "ش", count: 134)).count == 2)
    #expect(count(String(repeating: "ش", count: 135)).count == 3)
  }

  @Test func oneCharacterOutsideTheAlphabetMakesTheWholeTextUCS2() {
    let danish = String(repeating: "a", count: 100)
    #expect(count(danish).count == 1)
    #expect(count(danish + "’") == .init(encoding: .ucs2, units: 101, count: 2))
    #expect(count("ç").encoding == .ucs2)  // only the capital Ç is in the table
  }

  @Test func anEmojiIsTwoUnitsAndItsPairIsNeverSplit() {
    #expect(count("🚨") == .init(encoding: .ucs2, units: 2, count: 1))
    #expect(count(String(repeating: "🚨", count: 35)) == .init(encoding: .ucs2, units: 70, count: 1))
    // 66 units, then an emoji: 68 > 67, so it begins part two.
    let text = String(repeating: "ش", count: 66) + "🚨" + String(repeating: "ش", count: 3)
    #expect(count(text) == .init(encoding: .ucs2, units: 71, count: 2))
    let tight = String(repeating: "ش", count: 66) + "🚨" + String(repeating: "ش", count: 65)
    #expect(count(tight) == .init(encoding: .ucs2, units: 133, count: 2))
    let over = String(repeating: "ش", count: 66) + "🚨" + String(repeating: "ش", count: 66)
    #expect(count(over).count == 3)
  }

  @Test func arabicTakesAboutThreeTimesTheSegmentsOfDanish() {
    let danish = String(repeating: "Kog vandet før brug. ", count: 15)  // 315 septets
    let arabic = String(repeating: "اغلوا الماء قبل الشرب ", count: 15)  // 330 units
    #expect(count(danish).count == 3)
    #expect(count(arabic).count == 5)
  }
}
