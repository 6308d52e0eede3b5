import Foundation
import Testing

@testable import CommsCore

/// The address and Message-ID checks read bytes since issue 25 (every email
/// passes them); they must decide exactly as the checks on characters did.
@Suite struct HeaderSyntaxBytesTests {
  /// The check before: atoms split at dots, each scalar `atext`.
  func dotAtomByScalars(_ text: Substring) -> Bool {
    text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { atom in
      !atom.isEmpty
        && atom.unicodeScalars.allSatisfy { scalar in
          switch scalar {
          case "a"..."z", "A"..."Z", "0"..."9": true
          default: "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
          }
        }
    }
  }

  @Test func theSameVerdictsAsOnCharactersForSeededText() {
    var generator = SeededGenerator(state: 5322)
    let pieces = [
      "a", "Z", "9", ".", "..", "@", "=", "?", "=?", "!", "~", " ", "\t", "\"", "<", "ø", "é",
      "\u{1}", "\u{7F}",
    ]
    for _ in 0..<5_000 {
      let text = (0..<Int.random(in: 0...8, using: &generator)).map { _ in
        pieces.randomElement(using: &generator) ?? ""
      }.joined()
      #expect(HeaderSyntax.isDotAtomText(text[...]) == dotAtomByScalars(text[...]), "\(text)")
      #expect(HeaderSyntax.containsEncodedWordStart(text) == text.contains("=?"), "\(text)")
      let parts = text.split(separator: "@", omittingEmptySubsequences: false)
      let split = HeaderSyntax.splitAtTheOnlyAt(text)
      #expect((split == nil) == (parts.count != 2), "\(text)")
      if let split, parts.count == 2 {
        #expect(split.local == parts[0] && split.domain == parts[1], "\(text)")
      }
      let forbidden = text.unicodeScalars.contains(where: HeaderSyntax.isForbidden)
      #expect(
        (try? HeaderSyntax.refuseControlCharacters(in: text, field: "x")) == nil
          ? forbidden : !forbidden,
        "\(text)")
    }
  }
}
