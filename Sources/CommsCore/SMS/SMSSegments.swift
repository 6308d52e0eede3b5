/// How many SMS a text takes on a handset, as the networks count it.
///
/// A text that uses only the GSM 7-bit default alphabet (3GPP TS 23.038:
/// Latin letters, digits, æøåÆØÅ, é, ä ö ü, some Greek capitals …) is sent
/// in septets: 160 fit one SMS, and a longer text is split into parts of 153
/// (the concatenation header takes the rest). The extension characters
/// `| ^ € { } [ ] ~ \` and form feed take two septets each. Any other
/// character (Arabic, Somali's or Turkish letters outside the table, a
/// typographic quote, an emoji) makes the whole text UCS-2: 70 UTF-16 units
/// fit one SMS, 67 a part, and an emoji is two units. A part never splits an
/// escape pair or a surrogate pair, so a part may hold one unit less.
/// Sources: docs/providers/REFERENCE.md §5.
public struct SMSSegments: Sendable, Equatable, CustomStringConvertible {
  public enum Encoding: String, Sendable {
    case gsm7 = "GSM-7"
    case ucs2 = "UCS-2"
  }

  public var encoding: Encoding
  /// Septets (GSM-7) or UTF-16 units (UCS-2) of the whole text.
  public var units: Int
  /// How many SMS the text is sent as; 0 for an empty text.
  public var count: Int

  public var description: String {
    "\(count) SMS (\(encoding.rawValue), \(units) \(encoding == .gsm7 ? "septets" : "units"))"
  }

  /// Units one SMS holds alone, and each part of a longer text.
  static func limits(_ encoding: Encoding) -> (single: Int, part: Int) {
    encoding == .gsm7 ? (160, 153) : (70, 67)
  }

  public init(encoding: Encoding, units: Int, count: Int) {
    self.encoding = encoding
    self.units = units
    self.count = count
  }

  /// Counts `text`.
  public init(_ text: String) {
    if let septets = GSM7.septets(text) {
      self = Self.split(septets, encoding: .gsm7)
    } else {
      // Each scalar is one UTF-16 unit, or two (a surrogate pair).
      self = Self.split(text.unicodeScalars.map { $0.utf16.count }, encoding: .ucs2)
    }
  }

  /// Fills parts greedily with characters of `widths` units each, never
  /// splitting one.
  private static func split(_ widths: [Int], encoding: Encoding) -> SMSSegments {
    let units = widths.reduce(0, +)
    let limits = limits(encoding)
    if units == 0 { return SMSSegments(encoding: encoding, units: 0, count: 0) }
    if units <= limits.single { return SMSSegments(encoding: encoding, units: units, count: 1) }
    var count = 1
    var filled = 0
    for width in widths {
      if filled + width > limits.part {
        count += 1
        filled = 0
      }
      filled += width
    }
    return SMSSegments(encoding: encoding, units: units, count: count)
  }
}

/// The GSM 03.38 default alphabet and its extension table (3GPP TS 23.038).
enum GSM7 {
  /// The basic character set: one septet each.
  static let basic: Set<Unicode.Scalar> = Set(
    ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
      + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà").unicodeScalars)
  /// The extension table: an escape and a septet, two each.
  static let extended: Set<Unicode.Scalar> = Set("\u{0C}^{}\\[]~|€".unicodeScalars)

  /// The septets of each character of `text`, or nil when a character is
  /// outside the alphabet (the text must go as UCS-2).
  static func septets(_ text: String) -> [Int]? {
    var widths: [Int] = []
    widths.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
      if basic.contains(scalar) {
        widths.append(1)
      } else if extended.contains(scalar) {
        widths.append(2)
      } else {
        return nil
      }
    }
    return widths
  }

  /// Whether every character of `text` is in the alphabet.
  static func encodes(_ text: String) -> Bool { septets(text) != nil }
}
