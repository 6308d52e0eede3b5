/// Where each column of a recipient list is, read from its header row.
struct RecipientListHeader {
  static let required = ["id", "name", "audiences", "contacts"]
  static let known: Set<String> = ["id", "name", "audiences", "contacts", "language", "time_zone"]

  /// Trimmed and lower-cased, by position; empty for a column without a name.
  let names: [String]
  let id: Int
  let name: Int
  let audiences: Int
  let contacts: Int
  let language: Int?
  let timeZone: Int?
  /// Free attributes such as `unit` and `role`.
  let attributes: [(column: Int, name: String)]
  /// Columns without a name: harmless while their cells are empty, as in
  /// spreadsheets that end every row with a delimiter.
  let unnamed: [Int]

  /// nil, with the reason in `errors`, when a required column is missing.
  init?(_ record: CSVRecord, file: String, errors: inout [ConfigError]) {
    let names = record.cells.map { $0.lowercased() }
    for problem in record.problems {
      errors.append(
        ConfigError(file: file, line: record.line, key: "", message: "header: \(problem.message)"))
    }
    var columns: [String: Int] = [:]
    var attributes: [(column: Int, name: String)] = []
    var unnamed: [Int] = []
    for (column, name) in names.enumerated() {
      if name.isEmpty {
        unnamed.append(column)
      } else if let earlier = columns[name] {
        errors.append(
          ConfigError(
            file: file, line: record.line, key: name,
            message:
              "the header names this column twice (columns \(earlier + 1) and \(column + 1)); "
              + "the second is ignored"))
      } else {
        columns[name] = column
        if !Self.known.contains(name) { attributes.append((column, name)) }
      }
    }
    let missing = Self.required.filter { columns[$0] == nil }
    guard missing.isEmpty, let id = columns["id"], let name = columns["name"],
      let audiences = columns["audiences"], let contacts = columns["contacts"]
    else {
      let found = names.filter { !$0.isEmpty }.joined(separator: ", ")
      errors.append(
        ConfigError(
          file: file, line: record.line, key: "",
          message:
            "the header row lacks the required column\(missing.count == 1 ? "" : "s") "
            + "\(missing.joined(separator: ", ")) (it names: \(found.isEmpty ? "nothing" : found)); "
            + "the first row must name id, name, audiences and contacts"))
      return nil
    }
    self.names = names
    self.id = id
    self.name = name
    self.audiences = audiences
    self.contacts = contacts
    self.language = columns["language"]
    self.timeZone = columns["time_zone"]
    self.attributes = attributes
    self.unnamed = unnamed
  }
}
