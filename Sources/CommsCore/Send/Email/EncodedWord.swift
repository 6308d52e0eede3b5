import Foundation

/// RFC 2047 encoded-words for non-ASCII text in unstructured headers and display names.
///
/// Text is split into words of at most ``maximumLength`` characters, at grapheme
/// boundaries when a grapheme fits in one word, otherwise at Unicode scalar boundaries,
/// so every word decodes to valid UTF-8 on its own. The Q alphabet used is the one
/// RFC 2047 §5(3) allows inside a phrase, so the same words serve Subject and From.
enum EncodedWord {
  /// RFC 2047 §2: an encoded-word is at most 75 characters long.
  static let maximumLength = 75
  /// The shortest limit ``encode(_:firstWordLimit:)`` can honour: one four-byte scalar in Q.
  static let minimumLength = overhead + 12

  /// The two RFC 2047 encodings.
  enum Scheme: Sendable {
    /// "Q": ASCII letters and digits stay readable, suited to mostly-ASCII Danish.
    case q
    /// "B": base64, more compact for Arabic and other non-Latin scripts.
    case b
  }

  /// Length of `=?UTF-8?Q?` plus `?=`.
  private static let overhead = 12

  /// Encodes `text` as a sequence of encoded-words, to be separated by folding white space.
  ///
  /// - Parameter firstWordLimit: the longest the first word may be (room left on the line),
  ///   at least ``minimumLength``; later words use ``maximumLength``.
  static func encode(_ text: String, firstWordLimit: Int = maximumLength) -> [String] {
    let scheme = preferredScheme(for: text)
    var words: [String] = []
    var chunk: [UInt8] = []
    var limit = min(max(firstWordLimit, minimumLength), maximumLength)

    func fits(_ extra: some Collection<UInt8>) -> Bool {
      overhead + encodedLength(of: chunk, extra, scheme: scheme) <= limit
    }
    func flush() {
      guard !chunk.isEmpty else { return }
      words.append(word(for: chunk, scheme: scheme))
      chunk = []
      limit = maximumLength
    }

    for character in text {
      let bytes = Array(character.utf8)
      if !fits(bytes) { flush() }
      if fits(bytes) {
        chunk += bytes
        continue
      }
      // A grapheme too large for one word: split it between scalars, never inside one.
      for scalar in character.unicodeScalars {
        let scalarBytes = Array(scalar.utf8)
        if !fits(scalarBytes) { flush() }
        chunk += scalarBytes
      }
    }
    flush()
    return words
  }

  /// Q unless B is more than a quarter shorter: Q keeps mostly-ASCII Danish readable in
  /// raw headers and logs at a small cost, while Arabic and other non-Latin scripts, which
  /// Q triples, go as B.
  static func preferredScheme(for text: String) -> Scheme {
    let bytes = Array(text.utf8)
    return qLength(bytes) * 4 <= base64Length(bytes.count) * 5 ? .q : .b
  }

  private static func encodedLength(
    of chunk: [UInt8],
    _ extra: some Collection<UInt8>,
    scheme: Scheme
  ) -> Int {
    switch scheme {
    case .q: return qLength(chunk) + qLength(extra)
    case .b: return base64Length(chunk.count + extra.count)
    }
  }

  private static func word(for bytes: [UInt8], scheme: Scheme) -> String {
    switch scheme {
    case .q:
      var payload = ""
      for byte in bytes {
        if byte == UInt8(ascii: " ") {
          payload += "_"
        } else if isQLiteral(byte) {
          payload.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
          payload += "=" + Hex.byte(byte)
        }
      }
      return "=?UTF-8?Q?\(payload)?="
    case .b:
      return "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }
  }

  /// RFC 2047 §5(3): the characters a Q-encoded word may carry literally in a phrase.
  private static func isQLiteral(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"):
      return true
    default:
      return "!*+-/".utf8.contains(byte)
    }
  }

  private static func qLength(_ bytes: some Collection<UInt8>) -> Int {
    bytes.reduce(0) { total, byte in
      total + (isQLiteral(byte) || byte == UInt8(ascii: " ") ? 1 : 3)
    }
  }

  private static func base64Length(_ count: Int) -> Int { (count + 2) / 3 * 4 }
}

/// Upper-case hexadecimal for `=XX` escapes.
enum Hex {
  private static let digits = Array("0123456789ABCDEF".unicodeScalars)

  /// `byte` as two upper-case hex digits.
  static func byte(_ byte: UInt8) -> String {
    var text = ""
    text.unicodeScalars.append(digits[Int(byte >> 4)])
    text.unicodeScalars.append(digits[Int(byte & 0x0F)])
    return text
  }
}
