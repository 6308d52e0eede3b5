/// One record of a CSV file: its cells, the physical line it starts on, and
/// any syntax problems found while reading it.
struct CSVRecord {
  /// A cell that could not be read as written.
  struct Problem: Equatable {
    /// The index of the cell.
    var column: Int
    var message: String
  }

  var line = 0
  /// Spaces and tabs around each cell are already removed, also inside quotes.
  var cells: [String] = []
  var problems: [Problem] = []

  /// Whether the record holds nothing at all, like `;;;` rows at the end of
  /// an Excel export.
  var isEmpty: Bool { problems.isEmpty && cells.allSatisfy(\.isEmpty) }
}

/// Splits RFC 4180 CSV into records, working on UTF-8 bytes so 100,000 rows
/// take milliseconds.
///
/// Quoted cells may hold delimiters, doubled quotes and line breaks (a CRLF
/// inside quotes becomes LF); records end at LF or CRLF. Blank lines and
/// lines starting with `#` between records are skipped, and a leading UTF-8
/// byte order mark is ignored. A quote inside an unquoted cell is taken as it
/// is, as most spreadsheets read it.
///
/// The scanner borrows `bytes`: use it only inside the closure that provides them.
struct CSVScanner {
  private static let lineFeed = UInt8(ascii: "\n")
  private static let carriageReturn = UInt8(ascii: "\r")
  private static let quote = UInt8(ascii: "\"")
  private static let hash = UInt8(ascii: "#")
  private static let space = UInt8(ascii: " ")
  private static let tab = UInt8(ascii: "\t")

  private let bytes: UnsafeBufferPointer<UInt8>
  private var position = 0
  /// The physical line `position` is on, counting from 1.
  private var line = 1
  /// Unescaped bytes of the quoted cell being read; kept to reuse its storage.
  private var scratch: [UInt8] = []
  var delimiter = UInt8(ascii: ",")

  init(bytes: UnsafeBufferPointer<UInt8>) {
    self.bytes = bytes
    if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
  }

  /// `;` when the next record (normally the header) has more semicolons than
  /// commas outside quotes, else `,`.
  mutating func detectDelimiter() -> UInt8 {
    skipBlankAndCommentLines()
    var commas = 0
    var semicolons = 0
    var inQuotes = false
    var index = position
    while index < bytes.count {
      let byte = bytes[index]
      if byte == Self.quote {
        inQuotes.toggle()
      } else if !inQuotes {
        if byte == Self.lineFeed { break }
        if byte == UInt8(ascii: ",") { commas += 1 }
        if byte == UInt8(ascii: ";") { semicolons += 1 }
      }
      index += 1
    }
    return semicolons > commas ? UInt8(ascii: ";") : UInt8(ascii: ",")
  }

  /// Reads the next record into `record`, reusing its storage; false at the end.
  mutating func next(into record: inout CSVRecord) -> Bool {
    skipBlankAndCommentLines()
    guard position < bytes.count else { return false }
    record.line = line
    record.cells.removeAll(keepingCapacity: true)
    record.problems.removeAll(keepingCapacity: true)
    while true {
      let column = record.cells.count
      skipBlanks()
      if position < bytes.count, bytes[position] == Self.quote {
        record.cells.append(readQuotedCell(column: column, into: &record))
      } else {
        record.cells.append(readPlainCell())
      }
      // The cell readers stop at a delimiter, a line feed or the end.
      guard position < bytes.count else { return true }
      let terminator = bytes[position]
      position += 1
      if terminator == Self.lineFeed {
        line += 1
        return true
      }
    }
  }

  private mutating func skipBlankAndCommentLines() {
    while position < bytes.count {
      switch bytes[position] {
      case Self.lineFeed:
        position += 1
        line += 1
      case Self.carriageReturn
      where position + 1 < bytes.count && bytes[position + 1] == Self.lineFeed:
        position += 2
        line += 1
      case Self.hash:
        while position < bytes.count, bytes[position] != Self.lineFeed { position += 1 }
      default:
        return
      }
    }
  }

  private mutating func skipBlanks() {
    while position < bytes.count, bytes[position] == Self.space || bytes[position] == Self.tab {
      position += 1
    }
  }

  /// Reads up to the next delimiter or line end, without the CR of a CRLF.
  private mutating func readPlainCell() -> String {
    let start = position
    while position < bytes.count {
      let byte = bytes[position]
      if byte == delimiter || byte == Self.lineFeed { break }
      position += 1
    }
    var end = position
    while end > start, Self.isBlank(bytes[end - 1]) { end -= 1 }
    return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
  }

  /// Reads a cell starting at its opening quote, and anything up to the next
  /// delimiter or line end after the closing quote.
  private mutating func readQuotedCell(column: Int, into record: inout CSVRecord) -> String {
    let startLine = line
    position += 1
    scratch.removeAll(keepingCapacity: true)
    var segment = position
    var closed = false
    while position < bytes.count {
      let byte = bytes[position]
      if byte == Self.quote {
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[segment..<position]))
        if position + 1 < bytes.count, bytes[position + 1] == Self.quote {
          scratch.append(Self.quote)
          position += 2
          segment = position
          continue
        }
        position += 1
        closed = true
        break
      }
      if byte == Self.carriageReturn, position + 1 < bytes.count,
        bytes[position + 1] == Self.lineFeed
      {
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[segment..<position]))
        segment = position + 1
      } else if byte == Self.lineFeed {
        line += 1
      }
      position += 1
    }
    guard closed else {
      scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[segment..<position]))
      record.problems.append(
        CSVRecord.Problem(
          column: column,
          message:
            "the quoted cell opened on line \(startLine) is never closed; it runs to the end of the file"
        ))
      return Self.trimmed(scratch)
    }
    // Only blanks may follow the closing quote.
    let trailing = position
    while position < bytes.count, bytes[position] != delimiter, bytes[position] != Self.lineFeed {
      position += 1
    }
    let rest = UnsafeBufferPointer(rebasing: bytes[trailing..<position])
    if !rest.allSatisfy(Self.isBlank) {
      record.problems.append(
        CSVRecord.Problem(
          column: column,
          message:
            "text after the closing quote; quote the whole cell and write a quote inside it as \"\""
        ))
    }
    return Self.trimmed(scratch)
  }

  /// Space, tab, or the CR of a CRLF line end.
  private static func isBlank(_ byte: UInt8) -> Bool {
    byte == space || byte == tab || byte == carriageReturn
  }

  private static func trimmed(_ bytes: [UInt8]) -> String {
    var start = 0
    var end = bytes.count
    while start < end, bytes[start] == space || bytes[start] == tab { start += 1 }
    while end > start, bytes[end - 1] == space || bytes[end - 1] == tab { end -= 1 }
    return String(decoding: bytes[start..<end], as: UTF8.self)
  }
}
