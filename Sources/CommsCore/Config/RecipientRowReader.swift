import Foundation

/// Turns the rows of one recipient list into recipients, reporting each
/// problem with the row's line and the column's name.
struct RecipientRowReader {
  let file: String
  let header: RecipientListHeader
  let audiences: Set<String>
  let endpoints: ContactEndpoints
  /// The list's delimiter, for the message about rows with too many cells.
  let delimiter: UInt8
  /// The configured audiences, for messages about unknown ones.
  private let audienceNames: String
  /// Whether each time zone named so far is known; lists repeat a handful.
  private var timeZones: [String: Bool] = [:]
  /// The line each id was first seen on.
  private var firstLines: [String: Int] = [:]

  init(
    file: String, header: RecipientListHeader, delimiter: UInt8, audiences: Set<String>,
    endpoints: ContactEndpoints
  ) {
    self.file = file
    self.header = header
    self.delimiter = delimiter
    self.audiences = audiences
    self.endpoints = endpoints
    self.audienceNames = audiences.sorted().joined(separator: ", ")
  }

  /// The recipient in `record`, or nil with every problem appended to `errors`.
  mutating func recipient(from record: CSVRecord, errors: inout [ConfigError]) -> Recipient? {
    var valid = true
    func fail(_ column: Int?, _ message: String) {
      let key = column.flatMap { $0 < header.names.count ? header.names[$0] : nil } ?? ""
      errors.append(ConfigError(file: file, line: record.line, key: key, message: message))
      valid = false
    }
    for problem in record.problems { fail(problem.column, problem.message) }
    let cells = record.cells
    guard cells.count == header.names.count else {
      if cells.count < header.names.count {
        let absent = header.names[cells.count...].filter { !$0.isEmpty }
        fail(
          cells.count,
          "the row has \(cells.count) cells but the header names \(header.names.count) columns; "
            + "no cell for \(absent.joined(separator: ", "))")
      } else {
        fail(
          nil,
          "the row has \(cells.count) cells but the header names \(header.names.count) columns; "
            + "quote cells that contain the delimiter \"\(Character(Unicode.Scalar(delimiter)))\"")
      }
      return nil
    }

    let id = cells[header.id]
    if id.isEmpty {
      fail(header.id, "empty; every recipient needs an id")
    } else if Self.hasControlCharacters(id) {
      fail(header.id, "contains a line break or other control character")
    } else if let first = firstLines[id] {
      fail(header.id, "duplicate recipient id \"\(id)\" (first defined on line \(first))")
    } else {
      firstLines[id] = record.line
    }

    let name = cells[header.name]
    if name.isEmpty {
      fail(header.name, "empty; every recipient needs a name")
    } else if Self.hasControlCharacters(name) {
      fail(header.name, "contains a line break or other control character")
    }

    let audienceValues = Self.values(cells[header.audiences])
    var memberOf: [String] = []
    for audience in audienceValues where !memberOf.contains(audience) {
      if audiences.contains(audience) {
        memberOf.append(audience)
      } else if audiences.isEmpty {
        fail(
          header.audiences,
          "unknown audience \"\(audience)\"; no audiences are configured (add [audiences.\(audience)])"
        )
      } else {
        fail(
          header.audiences,
          "unknown audience \"\(audience)\"; the configured audiences are \(audienceNames)")
      }
    }
    if audienceValues.isEmpty {
      fail(header.audiences, "empty; name at least one audience, several separated by |")
    }

    let contactValues = Self.values(cells[header.contacts])
    var contacts: [Contact] = []
    for text in contactValues {
      switch ContactParser.parse(text, endpoints: endpoints) {
      case .success(.webhook(endpoint: "sms", let address)) where !Self.isPhoneNumber(address):
        fail(
          header.contacts,
          "invalid phone number in a contact; write it as + and 8–15 digits (E.164), "
            + "e.g. sms:+4512345678")
      case .success(let contact): contacts.append(contact)
      case .failure(let reason): fail(header.contacts, reason.description)
      }
    }
    if contactValues.isEmpty {
      fail(
        header.contacts,
        "empty; give at least one contact (an email address or ENDPOINT:ADDRESS), several separated by |"
      )
    }

    var language = "da"
    if let column = header.language, !cells[column].isEmpty {
      language = cells[column]
      if !Self.isLanguageCode(language) {
        fail(
          column,
          "invalid language code \"\(language)\"; expected 2–8 letters or hyphens, e.g. da, en, ar")
      }
    }

    var timeZone = "Europe/Copenhagen"
    if let column = header.timeZone, !cells[column].isEmpty {
      timeZone = cells[column]
      if !isKnownTimeZone(timeZone) {
        fail(column, "unknown time zone \"\(timeZone)\"; expected e.g. \"Europe/Copenhagen\"")
      }
    }

    for column in header.unnamed where !cells[column].isEmpty {
      fail(
        column,
        "a cell is in column \(column + 1), which has no name in the header; "
          + "name the column or empty the cell")
    }
    var attributes: [String: String] = [:]
    for (column, attribute) in header.attributes where !cells[column].isEmpty {
      attributes[attribute] = cells[column]
    }

    guard valid else { return nil }
    return Recipient(
      id: id, name: name, audiences: memberOf, contacts: contacts, language: language,
      timeZone: timeZone, attributes: attributes)
  }

  private mutating func isKnownTimeZone(_ identifier: String) -> Bool {
    if let known = timeZones[identifier] { return known }
    let known = TimeZone(identifier: identifier) != nil
    timeZones[identifier] = known
    return known
  }

  /// The `|`-separated values of a cell, trimmed, without empty ones.
  static func values(_ cell: String) -> [String] {
    let utf8 = cell.utf8
    let bar = UInt8(ascii: "|")
    guard utf8.contains(bar) else { return cell.isEmpty ? [] : [cell] }
    func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
    var values: [String] = []
    var start = utf8.startIndex
    while true {
      let end = utf8[start...].firstIndex(of: bar) ?? utf8.endIndex
      var first = start
      var last = end
      while first < last, isBlank(utf8[first]) { first = utf8.index(after: first) }
      while last > first, isBlank(utf8[utf8.index(before: last)]) {
        last = utf8.index(before: last)
      }
      if first < last { values.append(String(cell[first..<last])) }
      guard end < utf8.endIndex else { return values }
      start = utf8.index(after: end)
    }
  }

  /// E.164: `+` and 8 to 15 digits.
  static func isPhoneNumber(_ text: String) -> Bool {
    let bytes = text.utf8
    guard bytes.first == UInt8(ascii: "+"), (9...16).contains(bytes.count) else { return false }
    return bytes.dropFirst().allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
  }

  /// 2 to 8 letters or hyphens, starting with a letter (`da`, `en`, `pt-BR`).
  static func isLanguageCode(_ text: String) -> Bool {
    let bytes = text.utf8
    func isLetter(_ byte: UInt8) -> Bool {
      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }
    guard (2...8).contains(bytes.count), let first = bytes.first, isLetter(first) else {
      return false
    }
    return bytes.allSatisfy { isLetter($0) || $0 == UInt8(ascii: "-") }
  }

  static func hasControlCharacters(_ text: String) -> Bool {
    text.utf8.contains { $0 < 0x20 || $0 == 0x7F }
  }
}
