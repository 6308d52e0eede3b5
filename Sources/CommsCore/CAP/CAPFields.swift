import Foundation

/// The children of one CAP element, read by name with the checks every
/// element shares, each error naming the child's path. The tree builder has
/// already refused unknown and duplicated elements.
struct CAPFields {
  let node: CAPNode

  init(_ node: CAPNode) { self.node = node }

  func all(_ name: String) -> [CAPNode] { node.children.filter { $0.name == name } }

  func optional(_ name: String) -> CAPNode? { node.children.first { $0.name == name } }

  func required(_ name: String) throws(CAPError) -> CAPNode {
    guard let child = optional(name) else {
      throw CAPError("\(node.path)/\(name)", "is required", line: node.line)
    }
    return child
  }

  /// Free text, kept exactly.
  func text(_ name: String) -> String? { optional(name)?.text }

  func requiredText(_ name: String, nonEmpty: Bool = false) throws(CAPError) -> String {
    let child = try required(name)
    if nonEmpty, child.token.isEmpty {
      throw CAPError(child.path, "must not be empty", line: child.line)
    }
    return child.text
  }

  func token(_ name: String) throws(CAPError) -> String {
    try required(name).token
  }

  func choice<Value: RawRepresentable<String> & CaseIterable>(
    _ name: String, as type: Value.Type = Value.self
  ) throws(CAPError) -> Value {
    try Self.choice(try required(name), as: type)
  }

  /// The enumeration value `node` holds, or an error listing the allowed ones.
  static func choice<Value: RawRepresentable<String> & CaseIterable>(
    _ node: CAPNode, as type: Value.Type = Value.self
  ) throws(CAPError) -> Value {
    if let value = Value(rawValue: node.token) { return value }
    let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
    throw CAPError(node.path, "\(quoted(node.token)) is not one of \(allowed)", line: node.line)
  }

  /// A CAP date-time child, if present.
  func date(_ name: String) throws(CAPError) -> (date: Date, text: String)? {
    guard let child = optional(name) else { return nil }
    return try Self.date(child)
  }

  static func date(_ node: CAPNode) throws(CAPError) -> (date: Date, text: String) {
    guard let date = CAPDateTime.parse(node.token) else {
      throw CAPError(
        node.path,
        "\(quoted(node.token)) is not a CAP date-time like 2003-04-02T14:39:01-05:00"
          + " (offset required, no fractional seconds, no Z)",
        line: node.line)
    }
    return (date, node.token)
  }

  func decimal(_ name: String) throws(CAPError) -> Double? {
    guard let child = optional(name) else { return nil }
    guard let value = CAPDecimal.parse(child.token) else {
      throw CAPError(
        child.path, "\(Self.quoted(child.token)) is not a decimal number", line: child.line)
    }
    return value
  }

  /// An identifier or sender: what CAP 1.2 forbids in them would break the
  /// `sender,identifier,sent` triples that later messages refer by.
  static func identifier(_ node: CAPNode) throws(CAPError) -> String {
    let value = node.token
    try checkIdentifier(value, node.path, node.line)
    return value
  }

  static func checkIdentifier(
    _ value: some StringProtocol, _ path: String, _ line: Int, in context: String = ""
  ) throws(CAPError) {
    if value.isEmpty {
      throw CAPError(path, "\(context)must not be empty", line: line)
    }
    if value.contains(where: { $0.isWhitespace || $0 == "," || $0 == "<" || $0 == "&" }) {
      throw CAPError(
        path, "\(context)\(quoted(value)) must not contain spaces, commas, < or &", line: line)
    }
  }

  /// `value` in quotes for a message, shortened so that one bad element
  /// cannot make a message of a kilobyte.
  static func quoted(_ value: some StringProtocol) -> String {
    let shown = value.count > 60 ? value.prefix(57) + "..." : String(value)
    return "\"\(shown)\""
  }

  func valuePairs(_ name: String) throws(CAPError) -> [CAPNamedValue] {
    var pairs: [CAPNamedValue] = []
    for child in all(name) {
      let fields = CAPFields(child)
      pairs.append(
        CAPNamedValue(
          valueName: try fields.requiredText("valueName"), value: try fields.requiredText("value")))
    }
    return pairs
  }
}

extension CAPNode {
  /// The text without surrounding whitespace, for values where whitespace
  /// can only be layout: identifiers, enumerations, dates, numbers.
  var token: String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
}
