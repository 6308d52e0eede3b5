/// Writes one header field, folding it onto continuation lines (CRLF followed by a space)
/// so no line is longer than ``lineLimit`` characters.
///
/// Folding happens only before a token, never inside one. Every value is turned into
/// tokens short enough to fit on a line, except an addr-spec or a Message-ID, which RFC
/// 5322 gives no place to fold; those are at most 254 characters, well within the hard
/// limit of 998.
struct HeaderFolder {
  /// RFC 5322 §2.1.1: lines SHOULD be no more than 78 characters, excluding the CRLF.
  static let lineLimit = 78

  private var lines: [String] = []
  private var current: String
  private let nameLength: Int

  /// Starts the field `name:`; `name` must already be a valid field name.
  init(name: String) {
    current = name + ":"
    nameLength = current.utf8.count
  }

  /// The field, each line ending in CRLF.
  var rendered: String {
    lines.isEmpty ? current + "\r\n" : (lines + [current]).map { $0 + "\r\n" }.joined()
  }

  /// The length of the longest line so far.
  var longestLine: Int { (lines + [current]).map(\.utf8.count).max() ?? 0 }

  private var atStart: Bool { lines.isEmpty && current.utf8.count == nameLength }
  private var room: Int { Self.lineLimit - current.utf8.count }

  /// Appends text beginning with a single space or tab, moving it to a continuation line
  /// when it would not fit on the current one. The first piece after the name is never
  /// moved: a line holding only the name could be read as an empty value.
  mutating func append(foldable piece: String) {
    if !atStart && piece.utf8.count > room {
      lines.append(current)
      current = piece
    } else {
      current += piece
    }
  }

  /// Appends `token` preceded by one space.
  mutating func append(token: String) {
    append(foldable: " " + token)
  }

  /// Appends `text` as RFC 2047 encoded-words, each preceded by a space.
  ///
  /// Text that fits in one encoded-word gets exactly one, on a continuation line if the
  /// current one is too full: a display name split over several words is decoded with
  /// extra spaces by some readers (CPython before gh-128110), even though RFC 2047 §6.2
  /// says the white space between adjacent encoded-words is to be ignored. Longer text,
  /// or text right after the field name (where no fold is possible), starts on the
  /// current line in a first word sized to the room left there.
  mutating func append(encodedWords text: String) {
    var words = EncodedWord.encode(text)
    guard let first = words.first else { return }
    let roomAfterSpace = room - 1
    let mustShortenFirst = words.count > 1 || atStart
    if first.utf8.count > roomAfterSpace && mustShortenFirst
      && roomAfterSpace >= EncodedWord.minimumLength
    {
      words = EncodedWord.encode(text, firstWordLimit: roomAfterSpace)
    }
    for word in words {
      append(token: word)
    }
  }

  /// Appends an unstructured value (Subject, extra headers) so that it decodes to exactly
  /// `text`: as-is when it is ASCII and folds at its white space within the line limit,
  /// otherwise as encoded-words.
  ///
  /// Text that starts or ends with white space, or contains "=?", is encoded too, so that
  /// readers neither trim it nor take it for an encoded-word.
  mutating func append(unstructured text: String) {
    if appendOnThisLine(text) { return }
    appendFolded(unstructured: text)
  }

  /// The way most values go (an id, a short ASCII Subject): right after the
  /// field name, printable ASCII that fits on the line, neither starting nor
  /// ending with white space and without "=?". Exactly what
  /// `appendFolded(unstructured:)` gives for it (`HeaderFolderTests`), without
  /// splitting it into pieces first (composing an email went through that for
  /// each of its four X-Commsd headers; issue 25). Returns false, appending
  /// nothing, for any other value.
  private mutating func appendOnThisLine(_ text: String) -> Bool {
    guard atStart, let first = text.utf8.first, let last = text.utf8.last,
      first != 0x20, first != 0x09, last != 0x20, last != 0x09,
      text.utf8.count < room,
      HeaderSyntax.isPrintableASCII(text, orTab: true),
      !HeaderSyntax.containsEncodedWordStart(text)
    else { return false }
    current += " "
    current += text
    return true
  }

  /// `append(unstructured:)` without its shortcut for one-line values.
  mutating func appendFolded(unstructured text: String) {
    let isBlank: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" }
    let scalars = text.unicodeScalars
    let canStayLiteral =
      text.utf8.allSatisfy { $0 < 0x80 } && !HeaderSyntax.containsEncodedWordStart(text)
      && !(scalars.first.map(isBlank) ?? false) && !(scalars.last.map(isBlank) ?? false)
    if canStayLiteral {
      var literal = self
      for (index, piece) in Self.foldablePieces(of: text).enumerated() where !piece.isEmpty {
        literal.append(foldable: index == 0 ? " " + piece : String(piece))
      }
      if literal.longestLine <= Self.lineLimit {
        self = literal
        return
      }
    }
    append(encodedWords: text)
  }

  /// Appends a mailbox: display name (atoms, a quoted-string or encoded-words) then
  /// `<address>`, or the bare address; `suffix` (a comma) is kept on the address token.
  mutating func append(mailbox: EmailAddress, suffix: String = "") {
    if appendOnThisLine(mailbox, suffix: suffix) { return }
    appendFolded(mailbox: mailbox, suffix: suffix)
  }

  /// A mailbox right after the field name whose display name is plain atoms
  /// ("Jens Hansen"), or who has none, when it fits on the line: exactly
  /// what `appendFolded(mailbox:suffix:)` gives for it (`HeaderFolderTests`),
  /// without splitting the name into tokens. Returns false, appending
  /// nothing, for any other mailbox.
  private mutating func appendOnThisLine(_ mailbox: EmailAddress, suffix: String) -> Bool {
    guard atStart else { return false }
    let address = mailbox.address
    guard let name = mailbox.displayName else {
      guard address.utf8.count + suffix.utf8.count < room else { return false }
      current += " "
      current += address
      current += suffix
      return true
    }
    guard name.utf8.first != 0x20, name.utf8.last != 0x20,
      name.utf8.count + address.utf8.count + suffix.utf8.count + 4 <= room,
      !HeaderSyntax.containsEncodedWordStart(name)
    else { return false }
    var afterSpace = true
    for byte in name.utf8 {
      if byte == 0x20 {
        if afterSpace { return false }  // an empty atom: the name is quoted instead
        afterSpace = true
      } else {
        guard HeaderSyntax.isAtext(byte) else { return false }
        afterSpace = false
      }
    }
    current += " "
    current += name
    current += " <"
    current += address
    current += ">"
    current += suffix
    return true
  }

  /// `append(mailbox:suffix:)` without its shortcut for one-line mailboxes.
  mutating func appendFolded(mailbox: EmailAddress, suffix: String = "") {
    guard let name = mailbox.displayName else {
      append(token: mailbox.address + suffix)
      return
    }
    switch Self.displayNameTokens(name) {
    case .some(let tokens): for token in tokens { append(token: token) }
    case .none: append(encodedWords: name)
    }
    append(token: "<\(mailbox.address)>" + suffix)
  }

  /// A display name as plain atoms ("Jens Hansen") or one quoted-string ("Hansen, Jens"),
  /// or `nil` when it must be encoded: non-ASCII, a TAB, "=?", or too long for a line.
  private static func displayNameTokens(_ name: String) -> [String]? {
    let tokenLimit = lineLimit - 1
    let printable = HeaderSyntax.isPrintableASCII(name)
    guard printable, !HeaderSyntax.containsEncodedWordStart(name) else { return nil }
    let atoms = name.split(separator: " ", omittingEmptySubsequences: false)
    let areAtoms = atoms.allSatisfy { atom in
      !atom.isEmpty && atom.utf8.count <= tokenLimit
        && atom.utf8.allSatisfy(HeaderSyntax.isAtext)
    }
    if areAtoms { return atoms.map(String.init) }
    let quoted = EmailAddress.quoted(name)
    return quoted.utf8.count <= tokenLimit ? [quoted] : nil
  }

  /// Splits `text` before the last white space character of each run, so that every piece
  /// after the first begins with exactly one space or tab followed by the next word's
  /// leading characters, and no continuation line can consist of white space only.
  private static func foldablePieces(of text: String) -> [Substring] {
    var pieces: [Substring] = []
    var start = text.startIndex
    var index = text.startIndex
    while index < text.endIndex {
      let next = text.index(after: index)
      let isBlank = text[index] == " " || text[index] == "\t"
      if isBlank && index > start && next < text.endIndex && text[next] != " " && text[next] != "\t"
      {
        pieces.append(text[start..<index])
        start = index
      }
      index = next
    }
    pieces.append(text[start...])
    return pieces
  }
}
