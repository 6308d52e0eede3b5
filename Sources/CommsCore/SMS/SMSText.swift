import Foundation

/// What an SMS reader gets: the operator's own SMS text when they wrote one
/// (`--sms-body`), else the audience's `sms_format`, else a shortened
/// rendering of the message — never the whole email body cut off somewhere.
public struct SMSRendering: Sendable, Equatable {
  public enum Source: String, Sendable {
    /// The operator's SMS text, as written.
    case written
    /// The audience's `sms_format`, rendered.
    case template = "sms_format"
    /// Subject, first paragraph and the footer's link or phone number.
    case shortened
    /// A shortened or template text cut at a word, with a visible " ...",
    /// to fit the endpoint's `max_sms_segments` (the intake and the dry run
    /// say so).
    case cut
  }

  public var text: String
  public var segments: SMSSegments
  public var source: Source
}

public enum SMSText {
  /// The SMS text of `delivery`: `rendered` is the reader's subject and
  /// body as the audience's template made them (with any `[ØVELSE]` mark);
  /// `content` the operator's words in the reader's language; `footer` the
  /// audience's footer for them; `formatted` the audience's `sms_format`
  /// rendered for them; `last` a line that ends every text whole (the
  /// confirmation link): what is cut to fit leaves room for it.
  public static func render(
    content: MessageContent, rendered: RenderedMessage, footer: String?, formatted: String? = nil,
    mark: String?, maxSegments: Int, last: String? = nil
  ) -> SMSRendering {
    let tail = last.map { "\n" + $0 } ?? ""
    if let written = content.sms {
      // Intake counted the last line in (`Intake.validateSMS`).
      let text = (mark.map { "\($0) \(written)" } ?? written) + tail
      return SMSRendering(text: text, segments: SMSSegments(text), source: .written)
    }
    if let formatted {
      let text = mark.map { "\($0) \(formatted)" } ?? formatted
      let segments = SMSSegments(text + tail)
      if segments.count <= maxSegments {
        return SMSRendering(text: text + tail, segments: segments, source: .template)
      }
      let cut = cutAtWord(text, maxSegments: maxSegments, suffix: tail) + tail
      return SMSRendering(text: cut, segments: SMSSegments(cut), source: .cut)
    }
    let subject = rendered.subject
    let reach = footer.flatMap(contactLine)
    var words = firstParagraph(content.body).split(separator: " ", omittingEmptySubsequences: true)
    func compose(_ words: ArraySlice<Substring>, cut: Bool) -> String {
      var lines = [subject]
      if !words.isEmpty { lines.append(words.joined(separator: " ") + (cut ? " ..." : "")) }
      if let reach { lines.append(reach) }
      return lines.joined(separator: "\n") + tail
    }
    let whole = compose(words[...], cut: false)
    let segments = SMSSegments(whole)
    if segments.count <= maxSegments {
      return SMSRendering(text: whole, segments: segments, source: .shortened)
    }
    // Fewer words until it fits: a binary search over how many are kept
    // (the count only grows with more words). At the least the subject goes.
    var low = 0
    var high = words.count
    while low < high {
      let middle = (low + high + 1) / 2
      if SMSSegments(compose(words[..<middle], cut: true)).count <= maxSegments {
        low = middle
      } else {
        high = middle - 1
      }
    }
    words = Array(words[..<low])
    let text = compose(words[...], cut: true)
    return SMSRendering(text: text, segments: SMSSegments(text), source: .cut)
  }

  /// `text` cut after the last whole word that leaves room for " ..."
  /// within `maxSegments` (at a character if not even the first word fits).
  /// The count only grows with the length, so a binary search finds it.
  static func cutAtWord(_ text: String, maxSegments: Int, suffix: String = "") -> String {
    let characters = Array(text)
    func candidate(_ length: Int) -> String {
      String(characters[..<length]).trimmingCharacters(in: .whitespacesAndNewlines) + " ..."
    }
    func fits(_ length: Int) -> Bool {
      SMSSegments(candidate(length) + suffix).count <= maxSegments
    }
    let breaks = characters.indices.filter { characters[$0].isWhitespace }
    var low = 0
    var high = breaks.count
    while low < high {
      let middle = (low + high + 1) / 2
      if fits(breaks[middle - 1]) { low = middle } else { high = middle - 1 }
    }
    if low > 0 { return candidate(breaks[low - 1]) }
    var shortest = 0
    var longest = characters.count
    while shortest < longest {
      let middle = (shortest + longest + 1) / 2
      if fits(middle) { shortest = middle } else { longest = middle - 1 }
    }
    return candidate(shortest)
  }

  /// The first paragraph of `body` (up to the first blank line), its line
  /// breaks made spaces.
  static func firstParagraph(_ body: String) -> String {
    var lines: [Substring] = []
    for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty {
        if lines.isEmpty { continue }
        break
      }
      lines.append(Substring(trimmed))
    }
    return lines.joined(separator: " ")
  }

  /// The footer's first link (`https://…`, `www.…`) or, without one, its
  /// first phone number (8 or more digits, spaces allowed between them,
  /// optionally after `+`): where an SMS reader learns more.
  static func contactLine(_ footer: String) -> String? {
    let tokens = footer.split(whereSeparator: { $0.isWhitespace })
    for token in tokens {
      let lower = token.lowercased()
      if lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("www.") {
        return String(token).trimmingCharacters(in: CharacterSet(charactersIn: ".,;:)]"))
      }
    }
    var best = ""
    var run = ""
    var digits = 0
    func close() {
      if digits >= 8, best.isEmpty { best = run.trimmingCharacters(in: .whitespaces) }
      run = ""
      digits = 0
    }
    for character in footer {
      if character.isASCII, character.isNumber {
        run.append(character)
        digits += 1
      } else if character == " ", !run.isEmpty {
        run.append(character)
      } else if character == "+", run.isEmpty {
        run.append(character)
      } else {
        close()
      }
    }
    close()
    return best.isEmpty ? nil : best
  }
}
