import Foundation

/// A local console account, as `commsd user list` shows it (never its hash).
public struct ConsoleAccount: Sendable, Codable, Equatable {
  public var name: String
  public var displayName: String
  public var createdAt: Date
  public var createdBy: String
  public var passwordChangedAt: Date
  public var disabledAt: Date?
  public var failedSignIns: Int
  public var lockedUntil: Date?

  enum CodingKeys: String, CodingKey {
    case name
    case displayName = "display_name"
    case createdAt = "created_at"
    case createdBy = "created_by"
    case passwordChangedAt = "password_changed_at"
    case disabledAt = "disabled_at"
    case failedSignIns = "failed_sign_ins"
    case lockedUntil = "locked_until"
  }

  /// A sign-in name: lower-case letters, digits, `.`, `-` and `_`, 2 to 64,
  /// starting with a letter (it is shown and audited; never a path).
  public static func isName(_ text: String) -> Bool {
    guard let first = text.utf8.first, (97...122).contains(first),
      (2...64).contains(text.utf8.count)
    else { return false }
    return text.utf8.allSatisfy {
      (97...122).contains($0) || (48...57).contains($0) || $0 == 46 || $0 == 45 || $0 == 95
    }
  }

  /// A display name: one line, 1 to 100 characters, no control characters.
  public static func checkDisplayName(_ text: String) throws(IntakeError) {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed.isEmpty || trimmed.count > 100
      || trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
    {
      throw IntakeError(
        field: "name", "a display name is one line of 1 to 100 characters, e.g. \"Anna Berg\"")
    }
  }
}
