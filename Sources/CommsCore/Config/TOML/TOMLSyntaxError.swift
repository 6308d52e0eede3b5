/// A TOML document could not be parsed: it names the file, the 1-based line
/// and column (counted in Unicode scalars) and what was wrong.
///
/// Its description reads `commsd.toml:7:12: duplicate key 'url' (first defined on line 3)`.
public struct TOMLSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file name given to the parser.
  public let file: String
  /// The 1-based line of the problem.
  public let line: Int
  /// The 1-based column of the problem, counted in Unicode scalars.
  public let column: Int
  /// What was wrong, in words meant for the person editing the file.
  public let message: String

  /// Creates an error at `line`:`column` of `file`.
  public init(file: String, line: Int, column: Int, message: String) {
    self.file = file
    self.line = line
    self.column = column
    self.message = message
  }

  /// `FILE:LINE:COLUMN: MESSAGE`.
  public var description: String {
    "\(file):\(line):\(column): \(message)"
  }
}
