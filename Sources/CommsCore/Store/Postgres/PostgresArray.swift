/// PostgreSQL array literals, for `= ANY($1::text[])` and `unnest(…)`:
/// one parameter for many values.
enum PostgresArray {
  /// `{"a","b",NULL}`: every value quoted (backslashes and quotes escaped), nil as NULL.
  static func text(_ values: [String?]) -> String {
    let elements = values.map { value in
      guard let value else { return "NULL" }
      return "\""
        + value.replacingOccurrences(of: "\\", with: "\\\\")
        .replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
    return "{" + elements.joined(separator: ",") + "}"
  }

  static func text(_ values: [String]) -> String {
    text(values.map { Optional($0) })
  }
}
