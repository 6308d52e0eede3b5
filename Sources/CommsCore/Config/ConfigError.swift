/// A configuration problem, naming the file, the line, the key and what was
/// expected, so an operator can fix it without reading code.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String
  public var line: Int
  /// The dotted key, e.g. `relays.local.url`; empty for file-level problems.
  public var key: String
  public var message: String

  public init(file: String, line: Int, key: String, message: String) {
    self.file = file
    self.line = line
    self.key = key
    self.message = message
  }

  /// One line for a person: the file name, key and message as found, with
  /// any control character in them (a key can be any quoted TOML string)
  /// escaped, so an error cannot rewrite the terminal or the journal.
  public var description: String {
    let text =
      key.isEmpty ? "\(file):\(line): \(message)" : "\(file):\(line): \(key): \(message)"
    return Printable.quoted(text, limit: 1000)
  }
}

/// All problems found in one configuration, reported together so an operator
/// fixes them in one round.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
  public var errors: [ConfigError]
  public var description: String { errors.map(\.description).joined(separator: "\n") }
}
