import Foundation

/// Reads a contact as written in configuration and recipient lists.
public enum ContactParser {
  /// `ENDPOINT:ADDRESS` when ENDPOINT is a configured webhook endpoint;
  /// otherwise an email address (optionally `mailto:`-prefixed).
  public static func parse(_ text: String, endpoints: Set<String>) -> Result<Contact, ContactError>
  {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if let colon = trimmed.firstIndex(of: ":") {
      let scheme = String(trimmed[..<colon])
      let rest = String(trimmed[trimmed.index(after: colon)...])
      if endpoints.contains(scheme) {
        guard !rest.contains(where: { $0.isNewline }) else {
          return .failure(ContactError("the contact \"\(text)\" contains a line break"))
        }
        return .success(.webhook(endpoint: scheme, address: rest))
      }
      if scheme == "mailto" { return parseEmail(rest, original: text) }
      if !rest.contains("@") {
        return .failure(
          ContactError(
            "the contact \"\(text)\" names no configured endpoint \"\(scheme)\" (configure [endpoints.\(scheme)]) and is not an email address"
          ))
      }
    }
    return parseEmail(trimmed, original: text)
  }

  private static func parseEmail(_ text: String, original: String) -> Result<Contact, ContactError>
  {
    do {
      let address = try EmailAddress(address: text)
      return .success(.email(address: address.address))
    } catch {
      return .failure(ContactError("\"\(original)\" is not a valid email address: \(error)"))
    }
  }
}

/// Why a contact could not be read.
public struct ContactError: Error, Sendable, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}
