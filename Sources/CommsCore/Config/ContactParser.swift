import Foundation

/// Reads a contact as written in configuration and recipient lists.
///
/// A refusal never quotes the contact: it is a person's phone number or
/// address, and the reason goes to the journal and the audit chain
/// (`config.refused`), which personal data must not reach. File, line and
/// column (and the contact's place in the cell) find it.
public enum ContactParser {
  /// `ENDPOINT:ADDRESS` when ENDPOINT is a configured webhook endpoint;
  /// otherwise an email address (optionally `mailto:`-prefixed).
  public static func parse(_ text: String, endpoints: ContactEndpoints) -> Result<
    Contact, ContactError
  > {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if let colon = trimmed.firstIndex(of: ":") {
      let scheme = String(trimmed[..<colon])
      let rest = String(trimmed[trimmed.index(after: colon)...])
      if endpoints.names.contains(scheme) {
        guard !rest.contains(where: { $0.isNewline }) else {
          return .failure(ContactError("a contact contains a line break"))
        }
        if let countryCode = endpoints.phoneCountryCodes[scheme] {
          return PhoneNumber.e164(rest, defaultCountryCode: countryCode).map {
            .webhook(endpoint: scheme, address: $0)
          }
        }
        return .success(.webhook(endpoint: scheme, address: rest))
      }
      if scheme == "mailto" { return parseEmail(rest) }
      if !rest.contains("@") {
        // An endpoint's name is configuration, not a person's: named when it
        // looks like one, so the operator sees which endpoint is missing.
        let named =
          ConfigurationReader.isValidName(scheme) && scheme.count <= 32
          ? "endpoint \"\(scheme)\" (configure [endpoints.\(scheme)])"
          : "endpoint before its colon"
        return .failure(
          ContactError(
            "a contact names no configured \(named) and is not an email address"))
      }
    }
    return parseEmail(trimmed)
  }

  private static func parseEmail(_ text: String) -> Result<Contact, ContactError> {
    do {
      let address = try EmailAddress(address: text)
      return .success(.email(address: address.address))
    } catch EmailCompositionError.invalidAddress(_, let reason) {
      return .failure(ContactError("a contact is not a valid email address: \(reason)"))
    } catch {
      return .failure(ContactError("a contact is not a valid email address"))
    }
  }
}

/// The endpoints a contact may name, and which of them send SMS: their
/// contacts are phone numbers, written as E.164 (`PhoneNumber`).
public struct ContactEndpoints: Sendable, ExpressibleByArrayLiteral {
  public var names: Set<String>
  /// The SMS endpoints, each with the country code of a number given
  /// without one.
  public var phoneCountryCodes: [String: String]

  public init(names: Set<String>, phoneCountryCodes: [String: String] = [:]) {
    self.names = names
    self.phoneCountryCodes = phoneCountryCodes
  }

  public init(arrayLiteral names: String...) { self.init(names: Set(names)) }

  /// The configured endpoints.
  public init(_ endpoints: [String: Endpoint]) {
    self.init(
      names: Set(endpoints.keys),
      phoneCountryCodes: endpoints.compactMapValues {
        $0.format.sendsSMS ? $0.defaultCountryCode : nil
      })
  }
}

/// Why a contact could not be read.
public struct ContactError: Error, Sendable, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}
