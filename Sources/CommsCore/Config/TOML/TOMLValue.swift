/// A parsed TOML value together with the line it starts on (1-based).
///
/// For a `key = value` pair the line is the line of the key; for a table
/// created by a `[header]` it is the header's line; for array elements it is
/// the line the element starts on.
public struct TOMLNode: Sendable, Equatable {
  /// The 1-based line the value (or its key) was written on.
  public let line: Int
  /// The value itself.
  public let value: TOMLValue

  /// Creates a node for `value` written on `line`.
  public init(line: Int, value: TOMLValue) {
    self.line = line
    self.value = value
  }
}

/// A TOML value.
///
/// Date and time values are kept as the text that was written, after
/// validation, with the date/time separator normalised to `T` and a `z`
/// offset normalised to `Z` (for example `1979-05-27T07:32:00Z`,
/// `1979-05-27T07:32:00`, `1979-05-27` or `07:32:00.5`).
public indirect enum TOMLValue: Sendable, Equatable {
  /// A basic, literal or multi-line string, with escapes resolved.
  case string(String)
  /// A 64-bit signed integer.
  case integer(Int64)
  /// A binary64 floating point number, including infinities and NaN.
  case float(Double)
  /// `true` or `false`.
  case boolean(Bool)
  /// An offset date-time, local date-time, local date or local time, as written.
  case dateTime(String)
  /// An array, either written inline or built from `[[array of tables]]`.
  case array([TOMLNode])
  /// A table: the root, a `[header]` table, an inline table or an implicit one.
  case table(TOMLTable)

  /// "a string", "an integer", "a table" ... for error messages.
  public var typeDescription: String {
    switch self {
    case .string: "a string"
    case .integer: "an integer"
    case .float: "a float"
    case .boolean: "a boolean"
    case .dateTime(let text): Self.describeDateTime(text)
    case .array: "an array"
    case .table: "a table"
    }
  }

  private static func describeDateTime(_ text: String) -> String {
    let utf8 = text.utf8
    if utf8.count > 2, utf8[utf8.index(utf8.startIndex, offsetBy: 2)] == UInt8(ascii: ":") {
      return "a time"
    }
    return utf8.contains(UInt8(ascii: "T")) ? "a date-time" : "a date"
  }
}

/// A TOML table. A table keeps its keys in document order.
public struct TOMLTable: Sendable, Equatable {
  /// The line of the `[header]`, or of the first key for inline and implicit
  /// tables; 1 for the root table.
  public let line: Int
  /// The keys, in document order.
  public private(set) var keys: [String]
  private var storage: [String: TOMLNode]

  /// Creates a table from `entries`, keeping their order.
  ///
  /// If a key occurs more than once, the last node wins but the key keeps the
  /// position of its first occurrence.
  public init(line: Int = 1, entries: [(key: String, node: TOMLNode)] = []) {
    self.line = line
    self.keys = []
    self.storage = [:]
    for (key, node) in entries {
      if storage.updateValue(node, forKey: key) == nil {
        keys.append(key)
      }
    }
  }

  /// Creates a table from already ordered, duplicate-free storage.
  init(line: Int, keys: [String], storage: [String: TOMLNode]) {
    self.line = line
    self.keys = keys
    self.storage = storage
  }

  /// The node stored under `key`, if any.
  public subscript(key: String) -> TOMLNode? {
    storage[key]
  }

  /// The key/node pairs, in document order.
  public var entries: [(key: String, node: TOMLNode)] {
    keys.map { key in (key: key, node: storage[key]!) }
  }

  /// The number of keys in the table.
  public var count: Int { keys.count }

  /// Whether the table has no keys.
  public var isEmpty: Bool { keys.isEmpty }
}
