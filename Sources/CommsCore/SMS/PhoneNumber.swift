import Foundation

/// A phone number in E.164 (`+4520000002`), as SMS gateways take it.
///
/// Recipient lists are typed by people: spaces, dashes, dots and brackets
/// are allowed, `00` may stand for `+`, and an eight-digit number without a
/// country code is Danish (+45), since commsd serves a Danish municipality
/// (`default_country_code` on the endpoint changes that). Anything else is
/// refused with a reason that does not quote the number (it is personal).
public enum PhoneNumber {
  public static func e164(_ text: String, defaultCountryCode: String = "45") -> Result<
    String, ContactError
  > {
    var digits = ""
    var plus = false
    for (offset, character) in text.trimmingCharacters(in: .whitespaces).enumerated() {
      switch character {
      case "+" where offset == 0: plus = true
      case " ", "-", ".", "(", ")": continue
      default:
        guard character.isASCII, character.isNumber else {
          return .failure(ContactError("a phone number holds a character other than digits"))
        }
        digits.append(character)
      }
    }
    if !plus, digits.hasPrefix("00") {
      digits.removeFirst(2)
      plus = true
    }
    if !plus {
      guard digits.count == 8 else {
        return .failure(
          ContactError(
            "a phone number without its country code must have 8 digits; write it as +CC… (e.g. +45 20 00 00 02)"
          ))
      }
      digits = defaultCountryCode + digits
    }
    guard (8...15).contains(digits.count), digits.first != "0" else {
      return .failure(
        ContactError(
          "a phone number must be 8 to 15 digits with its country code, e.g. +4520000002"))
    }
    return .success("+" + digits)
  }

  /// The digits of an E.164 number as an integer (GatewayAPI's `msisdn`);
  /// nil when it is not one (never traps: at most 15 digits fit).
  static func msisdn(_ e164: String) -> UInt64? {
    let digits = e164.hasPrefix("+") ? e164.dropFirst() : Substring(e164)
    guard (1...15).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
      return nil
    }
    return UInt64(digits)
  }
}
