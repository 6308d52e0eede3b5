/// Text from outside (a key in a configuration file, a value in a recipient
/// list, a field name in a request) made safe to show a person: control
/// characters, which could move a terminal's cursor, rewrite a log line or
/// hide what follows, are written as `\u{…}` escapes, and a very long value
/// is cut.
public enum Printable {
  /// `text` with every control character (C0 but line feeds, DEL, C1) and
  /// every bidirectional override escaped, so a message of several lines
  /// keeps its lines and nothing else moves the cursor.
  public static func lines(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { needsEscape($0) && $0 != "\n" }) else {
      return text
    }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      if needsEscape(scalar) && scalar != "\n" {
        out.append(contentsOf: escape(scalar).unicodeScalars)
      } else {
        out.append(scalar)
      }
    }
    return String(out)
  }

  /// A value quoted inside a message: every control character escaped (line
  /// feeds too) and at most `limit` characters, then "…".
  public static func quoted(_ text: String, limit: Int = 120) -> String {
    var out = ""
    var count = 0
    for scalar in text.unicodeScalars {
      if count >= limit {
        out += "…"
        break
      }
      if needsEscape(scalar) {
        out += escape(scalar)
      } else {
        out.unicodeScalars.append(scalar)
      }
      count += 1
    }
    return out
  }

  /// `text` as one line of at most `max` characters for storing: every
  /// character that would need an escape (line breaks too) becomes a
  /// space, and the ends are trimmed.
  public static func line(_ text: String, max: Int) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars.prefix(max * 4) {
      out.append(needsEscape(scalar) ? " " : scalar)
    }
    return String(String(out).trimmingCharacters(in: .whitespaces).prefix(max))
  }

  static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1F, 0x7F...0x9F: true
    // Bidirectional embeddings, overrides and isolates: they reorder what a reader sees.
    case 0x202A...0x202E, 0x2066...0x2069: true
    default: false
    }
  }

  static func escape(_ scalar: Unicode.Scalar) -> String {
    "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
  }
}
