import Foundation

/// Narrows a message's audiences by recipient attributes, e.g. the relatives
/// of residents at one care home: `--where unit=solgaarden`. Conditions are
/// AND-ed; one condition may allow several values (`unit=solgaarden,aabo`).
public struct RecipientFilter: Sendable, Hashable, Codable {
  /// One attribute condition.
  public struct Condition: Sendable, Hashable, Codable {
    public var attribute: String
    public var values: [String]

    public init(attribute: String, values: [String]) {
      self.attribute = attribute
      self.values = values
    }
  }

  public var conditions: [Condition]

  public init(conditions: [Condition] = []) { self.conditions = conditions }

  /// Whether `recipient` has, for every condition, one of its values
  /// (compared without regard to case).
  public func matches(_ recipient: Recipient) -> Bool {
    conditions.allSatisfy { condition in
      guard let value = recipient.attributes[condition.attribute]?.lowercased() else {
        return false
      }
      return condition.values.contains { $0.lowercased() == value }
    }
  }

  public var isEmpty: Bool { conditions.isEmpty }

  /// Parses `key=value[,value…]`; nil if it is not of that form. Attribute
  /// names are lower-cased, as the recipient lists store them.
  public static func condition(parsing text: String) -> Condition? {
    guard let equals = text.firstIndex(of: "=") else { return nil }
    let key = String(text[..<equals]).trimmingCharacters(in: .whitespaces).lowercased()
    let values = text[text.index(after: equals)...].split(separator: ",").map {
      $0.trimmingCharacters(in: .whitespaces)
    }.filter { !$0.isEmpty }
    guard !key.isEmpty, !values.isEmpty else { return nil }
    return Condition(attribute: key, values: values)
  }
}
