import Foundation
import Testing

@testable import CommsCore

/// The intake trims subjects and SMS texts as they are stored and refuses
/// blank bodies; `trimmed` and `isBlank` must answer as Foundation's
/// `trimmingCharacters(in:)` does, for every kind of space and line break.
@Suite struct TrimmedTests {
  static let pieces: [String] =
    ["a", "Å", "👩‍👩‍👧", "e\u{301}", "\u{301}", "x y", "\u{FEFF}", "\u{200B}", "\u{7F}"]
    + [" ", "\t", "\n", "\r", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{1680}"]
    + [
      "\u{2000}", "\u{2007}", "\u{200A}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}",
      "\u{3000}",
    ]

  @Test func trimmedIsFoundationsTrimming() {
    var random = SeededGenerator(state: 33)
    for _ in 0..<5_000 {
      let text = (0..<Int.random(in: 0...8, using: &random)).map { _ in
        Self.pieces.randomElement(using: &random) ?? ""
      }.joined()
      for set in [CharacterSet.whitespaces, .whitespacesAndNewlines] {
        let reference = text.trimmingCharacters(in: set)
        #expect(text.trimmed(set) == reference, "\(Array(text.unicodeScalars))")
        #expect(text.isBlank(set) == reference.isEmpty, "\(Array(text.unicodeScalars))")
      }
    }
  }
}
