import Foundation

/// Reads recipient lists exported as CSV by municipal HR and care systems.
///
/// The format, as a spreadsheet writes it (see `config/example/recipients/`):
///
/// ```
/// id;name;audiences;contacts;language;unit;role
/// care-2001;Jens Pedersen;relatives;jens.pedersen@example.net;da;solgaarden;pårørende
/// care-2002;Anna Kowalski;relatives;anna@example.org|sms:+4520000013;en;aabo;pårørende
/// ```
///
/// - The first row names the columns (names are trimmed and lower-cased).
///   `id`, `name`, `audiences` and `contacts` are required; `language`
///   (default `da`) and `time_zone` (default `Europe/Copenhagen`) are known;
///   every other column is a free attribute such as `unit` or `role`, kept in
///   `Recipient.attributes` when its cell is not empty.
/// - Cells are separated by `,` or by `;` (as Danish Excel writes it):
///   whichever the header row has more of outside quotes.
/// - Quoting follows RFC 4180: a quoted cell may hold the delimiter, a quote
///   written twice (`""`) and line breaks. Spaces and tabs around a cell are
///   ignored. A row's line number is the physical line it starts on.
/// - UTF-8, with or without a byte order mark; LF or CRLF line ends. Blank
///   lines, rows of empty cells and lines starting with `#` are skipped (quote
///   a first cell that really starts with `#`).
/// - `audiences` and `contacts` hold several values separated by `|`.
///   Contacts are in order of preference: an email address, or
///   `ENDPOINT:ADDRESS` for a configured webhook endpoint. The `sms`
///   endpoint's addresses are E.164 phone numbers (`+4512345678`).
///
/// Every bad row is reported, never dropped in silence: a `ConfigError` with
/// the file, the row's line and the column as key, for each problem in the
/// row. Good rows around it are still read. Ids must be unique within a file;
/// across files and inline recipients the caller checks with
/// ``duplicateErrors(_:)``.
public enum RecipientListReader {
  /// Reads one CSV file. Every bad row is reported (never silently dropped)
  /// as a ConfigError with file, line (the physical line where the row starts)
  /// and the column name as key; good rows are returned.
  public static func read(path: String, audiences: Set<String>, endpoints: ContactEndpoints)
    -> (recipients: [Recipient], errors: [ConfigError])
  {
    let list = readList(path: path, audiences: audiences, endpoints: endpoints)
    return (list.recipients, list.errors)
  }

  /// The same from text (for tests); `file` names it in errors.
  public static func parse(
    _ text: String, file: String, audiences: Set<String>, endpoints: ContactEndpoints
  ) -> (recipients: [Recipient], errors: [ConfigError]) {
    let list = parseList(text, file: file, audiences: audiences, endpoints: endpoints)
    return (list.recipients, list.errors)
  }

  /// Reads one CSV file, keeping the line of every recipient so duplicates
  /// across files can be reported where they are.
  public static func readList(path: String, audiences: Set<String>, endpoints: ContactEndpoints)
    -> RecipientList
  {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      return RecipientList(
        file: path, entries: [],
        errors: [
          ConfigError(
            file: path, line: 0, key: "",
            message: "cannot read the recipient list: \(error.localizedDescription)")
        ])
    }
    guard let text = String(validating: data, as: UTF8.self) else {
      return RecipientList(file: path, entries: [], errors: [notUTF8(data, file: path)])
    }
    return parseList(text, file: path, audiences: audiences, endpoints: endpoints)
  }

  /// The same from text; `file` names it in errors.
  public static func parseList(
    _ text: String, file: String, audiences: Set<String>, endpoints: ContactEndpoints
  ) -> RecipientList {
    var text = text
    return text.withUTF8 { bytes in
      var scanner = CSVScanner(bytes: bytes)
      scanner.delimiter = scanner.detectDelimiter()
      var record = CSVRecord()
      var errors: [ConfigError] = []
      guard scanner.next(into: &record) else {
        errors.append(
          ConfigError(
            file: file, line: 1, key: "",
            message:
              "the list is empty; it needs a header row naming the columns id, name, audiences and contacts"
          ))
        return RecipientList(file: file, entries: [], errors: errors)
      }
      guard let header = RecipientListHeader(record, file: file, errors: &errors) else {
        return RecipientList(file: file, entries: [], errors: errors)
      }
      var rows = RecipientRowReader(
        file: file, header: header, delimiter: scanner.delimiter, audiences: audiences,
        endpoints: endpoints)
      var entries: [RecipientList.Entry] = []
      while scanner.next(into: &record) {
        if record.isEmpty { continue }
        if let recipient = rows.recipient(from: record, errors: &errors) {
          entries.append(RecipientList.Entry(recipient: recipient, line: record.line))
        }
      }
      return RecipientList(file: file, entries: entries, errors: errors)
    }
  }

  /// An error for each recipient whose id was already used earlier in
  /// `lists` (in order), naming the file and line of the first.
  public static func duplicateErrors(_ lists: [RecipientList]) -> [ConfigError] {
    var first: [String: (file: String, line: Int)] = [:]
    var errors: [ConfigError] = []
    for list in lists {
      for entry in list.entries {
        let id = entry.recipient.id
        if let earlier = first[id] {
          errors.append(
            ConfigError(
              file: list.file, line: entry.line, key: "id",
              message:
                "duplicate recipient id \"\(id)\" (first defined at \(earlier.file):\(earlier.line))"
            ))
        } else {
          first[id] = (list.file, entry.line)
        }
      }
    }
    return errors
  }

  /// Names the line of the first byte that is not UTF-8; Excel's plain "CSV"
  /// is Windows-1252, where æ, ø and å are single bytes.
  private static func notUTF8(_ data: Data, file: String) -> ConfigError {
    var line = 1
    var offset = 0
    var bytes = data.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    scan: while true {
      switch parser.parseScalar(from: &bytes) {
      case .valid(let scalar):
        if scalar.first == UInt8(ascii: "\n") { line += 1 }
        offset += scalar.count
      case .error, .emptyInput:
        break scan
      }
    }
    let byte = offset < data.count ? data[data.startIndex + offset] : 0
    let hex = String(byte, radix: 16, uppercase: true)
    return ConfigError(
      file: file, line: line, key: "",
      message:
        "the list is not UTF-8 text (byte 0x\(hex.count == 1 ? "0" + hex : hex) on this line); "
        + "save it as UTF-8, in Excel as \"CSV UTF-8\"")
  }
}

/// One recipient list as read: its good rows, each with the line it starts
/// on, and an error for every problem in the others.
public struct RecipientList: Sendable {
  /// A recipient and the line its row starts on.
  public struct Entry: Sendable, Hashable {
    public var recipient: Recipient
    public var line: Int

    public init(recipient: Recipient, line: Int) {
      self.recipient = recipient
      self.line = line
    }
  }

  public var file: String
  public var entries: [Entry]
  public var errors: [ConfigError]

  public var recipients: [Recipient] { entries.map(\.recipient) }

  public init(file: String, entries: [Entry], errors: [ConfigError]) {
    self.file = file
    self.entries = entries
    self.errors = errors
  }
}
