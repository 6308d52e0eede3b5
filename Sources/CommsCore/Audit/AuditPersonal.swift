import Crypto
import Foundation

/// Personal data in an audit event — a relay's error text, which may repeat
/// the address it refused — is kept beside the chain, not in it.
///
/// The event's detail (which the chain hashes) carries a commitment,
/// `personal`: the SHA-256 of the stored personal text, which holds the
/// values and a random salt (so the commitment cannot be tested against
/// guessed addresses). While the text is readable, `audit verify` checks it
/// against the commitment. After the retention period the values are
/// replaced by keyed hashes and the salt dropped (`pseudonymised_at` says
/// when): the commitment stays in the chain, so the chain still verifies,
/// and what was erased can no longer be read or checked — which is the
/// point. An attacker can erase personal text that way, never alter it
/// into something readable.
public enum AuditPersonal {
  /// The detail key of the commitment, and the stored text's own keys.
  static let commitmentKey = "personal"
  static let saltKey = "salt"
  static let pseudonymisedKey = "pseudonymised_at"

  /// The text to store for `values`, with a fresh salt, and its commitment.
  static func seal(_ values: [String: String]) -> (stored: String, commitment: String) {
    var members = values
    var generator = SystemRandomNumberGenerator()
    let salt = (generator.next() as UInt64, generator.next() as UInt64)
    members[saltKey] = LowerHex.string(
      withUnsafeBytes(of: salt) { Array($0) })
    let stored = JSONWriter.object(members)
    return (stored, LowerHex.string(SHA256.hash(data: Data(stored.utf8))))
  }

  /// The stored text after retention: every value a pseudonym, no salt.
  static func pseudonymised(_ stored: String, with hash: KeyedHash, at: String) -> String {
    var members = values(stored)
    if members[pseudonymisedKey] != nil { return stored }
    for (key, value) in members { members[key] = hash.pseudonym(value) }
    members[pseudonymisedKey] = at
    return JSONWriter.object(members)
  }

  /// The values of stored text (readable, or pseudonyms with
  /// `pseudonymised_at`), without the salt.
  public static func values(_ stored: String?) -> [String: String] {
    guard let stored,
      var members = try? JSONCoding.decoder().decode([String: String].self, from: Data(stored.utf8))
    else { return [:] }
    members[saltKey] = nil
    return members
  }

  private static let commitmentNeedle = Array("\"\(commitmentKey)\":".utf8)

  static func mentionsCommitment(_ detail: String) -> Bool {
    var detail = detail
    return detail.withUTF8 { bytes in
      let needle = commitmentNeedle
      guard bytes.count >= needle.count else { return false }
      var index = 0
      while index <= bytes.count - needle.count {
        if bytes[index] == needle[0] && bytes[index + 1] == needle[1] {
          var offset = 2
          while offset < needle.count && bytes[index + offset] == needle[offset] { offset += 1 }
          if offset == needle.count { return true }
        }
        index += 1
      }
      return false
    }
  }

  /// What is wrong with an event's personal text, or nil. `detail` is the
  /// chained detail (JSON); `stored` the personal text kept beside it.
  static func problem(detail: String, stored: String?) -> String? {
    // Most events have neither; only those that do are parsed. A byte
    // search: `String.contains` was a quarter of `audit verify`'s time.
    guard stored != nil || mentionsCommitment(detail) else { return nil }
    let commitment =
      (try? JSONCoding.decoder().decode([String: String].self, from: Data(detail.utf8)))?[
        commitmentKey]
    switch (commitment, stored) {
    case (nil, nil):
      return nil
    case (.some, nil):
      return "its personal data was removed (the chain commits to it)"
    case (nil, .some):
      return "it has personal data the chain does not commit to"
    case (.some(let commitment), .some(let stored)):
      let members =
        (try? JSONCoding.decoder().decode([String: String].self, from: Data(stored.utf8))) ?? [:]
      if members[pseudonymisedKey] != nil { return nil }
      if LowerHex.string(SHA256.hash(data: Data(stored.utf8))) != commitment {
        return "its personal data was altered (it does not match the chain's commitment)"
      }
      return nil
    }
  }
}
