/// Typed, error-collecting access to one TOML table of the configuration.
///
/// Every getter records a `ConfigError` with file, line and dotted key when a
/// value is missing or of the wrong kind, and returns nil; the loader reports
/// all of them at the end. Keys nobody asked for are reported as unknown, so a
/// misspelt key is an error rather than a silently ignored setting.
struct ConfigTable {
  let table: TOMLTable
  let path: String
  let file: String
  let sink: ConfigErrorSink
  private var used: Set<String> = []

  init(_ table: TOMLTable, path: String, file: String, sink: ConfigErrorSink) {
    self.table = table
    self.path = path
    self.file = file
    self.sink = sink
  }

  func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

  var keys: [String] { table.keys }

  func fail(_ name: String, _ message: String, line: Int? = nil) {
    sink.add(
      ConfigError(
        file: file, line: line ?? table[name]?.line ?? table.line, key: key(name), message: message)
    )
  }

  /// A problem with the table as a whole, at its header's line.
  func failTable(_ message: String) {
    sink.add(ConfigError(file: file, line: table.line, key: path, message: message))
  }

  private mutating func node(_ name: String, required: Bool) -> TOMLNode? {
    used.insert(name)
    guard let node = table[name] else {
      if required {
        sink.add(
          ConfigError(
            file: file, line: table.line, key: key(name), message: "missing; this key is required"))
      }
      return nil
    }
    return node
  }

  private func wrongType(_ name: String, _ node: TOMLNode, expected: String) {
    sink.add(
      ConfigError(
        file: file, line: node.line, key: key(name),
        message: "expected \(expected), found \(node.value.typeDescription)"))
  }

  mutating func string(_ name: String, required: Bool = false) -> String? {
    guard let node = node(name, required: required) else { return nil }
    guard case .string(let value) = node.value else {
      wrongType(name, node, expected: "a string")
      return nil
    }
    return value
  }

  mutating func integer(_ name: String, in range: ClosedRange<Int64>, required: Bool = false)
    -> Int?
  {
    guard let node = node(name, required: required) else { return nil }
    guard case .integer(let value) = node.value else {
      wrongType(name, node, expected: "an integer")
      return nil
    }
    guard range.contains(value) else {
      fail(
        name, "expected an integer from \(range.lowerBound) to \(range.upperBound), found \(value)")
      return nil
    }
    return Int(value)
  }

  mutating func number(_ name: String, in range: ClosedRange<Double>) -> Double? {
    guard let node = node(name, required: false) else { return nil }
    let value: Double
    switch node.value {
    case .integer(let integer): value = Double(integer)
    case .float(let float): value = float
    default:
      wrongType(name, node, expected: "a number")
      return nil
    }
    guard range.contains(value) else {
      fail(
        name, "expected a number from \(range.lowerBound) to \(range.upperBound), found \(value)")
      return nil
    }
    return value
  }

  mutating func bool(_ name: String) -> Bool? {
    guard let node = node(name, required: false) else { return nil }
    guard case .boolean(let value) = node.value else {
      wrongType(name, node, expected: "true or false")
      return nil
    }
    return value
  }

  /// A duration such as `"30s"`, within `range` (by default anything up to
  /// `DurationText.maximum`); a malformed, too long or out-of-range value
  /// is recorded with file, line and key, never trapped on.
  mutating func duration(
    _ name: String, in range: ClosedRange<Duration> = .zero...DurationText.maximum
  ) -> Duration? {
    guard let text = string(name) else { return nil }
    let duration: Duration
    switch DurationText.read(text) {
    case .success(let value): duration = value
    case .failure(let failure):
      fail(name, DurationText.explain(failure, text))
      return nil
    }
    guard range.contains(duration) else {
      fail(
        name,
        "expected a duration from \(DurationText.format(range.lowerBound)) to \(DurationText.format(range.upperBound)), found \"\(Printable.quoted(text))\""
      )
      return nil
    }
    return duration
  }

  mutating func strings(_ name: String, required: Bool = false) -> [(value: String, line: Int)]? {
    guard let node = node(name, required: required) else { return nil }
    guard case .array(let items) = node.value else {
      wrongType(name, node, expected: "an array of strings")
      return nil
    }
    var values: [(String, Int)] = []
    for item in items {
      guard case .string(let value) = item.value else {
        fail(
          name, "expected an array of strings, found \(item.value.typeDescription) in it",
          line: item.line)
        return nil
      }
      values.append((value, item.line))
    }
    return values
  }

  mutating func table(_ name: String) -> ConfigTable? {
    guard let node = node(name, required: false) else { return nil }
    guard case .table(let table) = node.value else {
      wrongType(name, node, expected: "a table")
      return nil
    }
    return ConfigTable(table, path: key(name), file: file, sink: sink)
  }

  mutating func tables(_ name: String) -> [ConfigTable]? {
    guard let node = node(name, required: false) else { return nil }
    guard case .array(let items) = node.value else {
      wrongType(name, node, expected: "an array of tables ([[\(key(name))]])")
      return nil
    }
    var tables: [ConfigTable] = []
    for (index, item) in items.enumerated() {
      guard case .table(let table) = item.value else {
        fail(name, "expected tables, found \(item.value.typeDescription)", line: item.line)
        return nil
      }
      tables.append(ConfigTable(table, path: "\(key(name))[\(index)]", file: file, sink: sink))
    }
    return tables
  }

  /// Reports every key that no getter asked for.
  func rejectUnknownKeys() {
    for name in table.keys where !used.contains(name) {
      fail(name, "unknown key; check its spelling against config/example/commsd.toml")
    }
  }
}

/// Collects configuration errors from every table of one load.
final class ConfigErrorSink {
  private(set) var errors: [ConfigError] = []
  func add(_ error: ConfigError) { errors.append(error) }
}
