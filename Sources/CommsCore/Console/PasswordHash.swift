import Crypto
import CryptoExtras
import Foundation

/// A console password as the store keeps it: scrypt (memory-hard, so a
/// stolen store is slow to guess from even on graphics cards), in the PHC
/// string format `$scrypt$ln=15,r=8,p=1$SALT$HASH` (salt and hash in
/// unpadded base64). The parameters travel with the hash, so they can be
/// raised later and old hashes still verify.
///
/// A stored string is outside input (a store can be edited): it is parsed
/// strictly, and its parameters must lie within bounds before any memory
/// is spent on them, never a trap.
public struct PasswordHash: Sendable, Equatable {
  public struct Parameters: Sendable, Equatable {
    /// log2 of scrypt's N (rounds).
    public var logRounds: Int
    public var blockSize: Int
    public var parallelism: Int

    /// 2^15 × 128 × 8 bytes: 32 MiB and about a tenth of a second here,
    /// per sign-in (OWASP's scrypt minimum is N=2^17 at r=8 with p=1;
    /// this keeps a phone's sign-in quick on a 2-core daemon; raise it
    /// with `[console] scrypt_log_rounds`).
    public static let standard = Parameters(logRounds: 15, blockSize: 8, parallelism: 1)
    /// For tests only: cheap.
    public static let fast = Parameters(logRounds: 10, blockSize: 8, parallelism: 1)

    /// What a stored hash may ask for: up to 2^20 rounds (1 GiB at r=8).
    static let logRoundsRange = 10...20
    static let blockSizeRange = 1...16
    static let parallelismRange = 1...4
  }

  public var parameters: Parameters
  public var salt: [UInt8]
  public var hash: [UInt8]

  public static let saltBytes = 16
  public static let hashBytes = 32
  /// A password is 12 to 1024 bytes: long enough to be a passphrase, short
  /// enough that hashing it is not a way to spend the daemon's memory.
  public static let minimumLength = 12
  public static let maximumBytes = 1024

  public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
    case tooShort
    case tooLong
    case malformed

    public var description: String {
      switch self {
      case .tooShort: "a password needs at least \(PasswordHash.minimumLength) characters"
      case .tooLong: "a password may have at most \(PasswordHash.maximumBytes) bytes"
      case .malformed: "not a password hash this reads ($scrypt$ln=…,r=…,p=…$salt$hash)"
      }
    }
  }

  /// A new hash of `password` with a fresh salt.
  public static func make(_ password: String, parameters: Parameters = .standard) throws
    -> PasswordHash
  {
    try check(password)
    var generator = SystemRandomNumberGenerator()
    let salt = (0..<saltBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    return PasswordHash(
      parameters: parameters, salt: salt,
      hash: try derive(password, salt: salt, parameters: parameters))
  }

  /// Refuses a password that is too short or too long.
  public static func check(_ password: String) throws(Problem) {
    if password.count < minimumLength { throw .tooShort }
    if password.utf8.count > maximumBytes { throw .tooLong }
  }

  /// Whether `password` is the one hashed, compared in constant time.
  public func verifies(_ password: String) -> Bool {
    guard password.utf8.count <= Self.maximumBytes,
      let derived = try? Self.derive(password, salt: salt, parameters: parameters),
      derived.count == hash.count
    else { return false }
    var difference: UInt8 = 0
    for (left, right) in zip(derived, hash) { difference |= left ^ right }
    return difference == 0
  }

  private static func derive(_ password: String, salt: [UInt8], parameters: Parameters) throws
    -> [UInt8]
  {
    let key = try KDF.Scrypt.deriveKey(
      from: Array(password.utf8), salt: salt, outputByteCount: hashBytes,
      rounds: 1 << parameters.logRounds, blockSize: parameters.blockSize,
      parallelism: parameters.parallelism)
    return key.withUnsafeBytes { Array($0) }
  }

  /// The PHC string.
  public var encoded: String {
    "$scrypt$ln=\(parameters.logRounds),r=\(parameters.blockSize),p=\(parameters.parallelism)$"
      + Self.base64(salt) + "$" + Self.base64(hash)
  }

  /// Reads a PHC string; nil for anything else, or parameters out of bounds.
  public static func parse(_ text: String) -> PasswordHash? {
    guard text.utf8.count <= 256 else { return nil }
    let parts = text.split(separator: "$", omittingEmptySubsequences: false)
    guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { return nil }
    var values: [String: Int] = [:]
    for field in parts[2].split(separator: ",", omittingEmptySubsequences: false) {
      let pair = field.split(separator: "=", omittingEmptySubsequences: false)
      guard pair.count == 2, pair[1].utf8.count <= 3,
        pair[1].utf8.allSatisfy({ (48...57).contains($0) }),
        let value = Int(pair[1]), values.updateValue(value, forKey: String(pair[0])) == nil
      else { return nil }
    }
    guard values.count == 3, let ln = values["ln"], let r = values["r"], let p = values["p"],
      Parameters.logRoundsRange.contains(ln), Parameters.blockSizeRange.contains(r),
      Parameters.parallelismRange.contains(p),
      let salt = unbase64(parts[3]), salt.count >= 8, salt.count <= 64,
      let hash = unbase64(parts[4]), hash.count == hashBytes
    else { return nil }
    return PasswordHash(
      parameters: Parameters(logRounds: ln, blockSize: r, parallelism: p), salt: salt, hash: hash)
  }

  private static func base64(_ bytes: [UInt8]) -> String {
    var text = Data(bytes).base64EncodedString()
    while text.hasSuffix("=") { text.removeLast() }
    return text
  }

  private static func unbase64(_ text: Substring) -> [UInt8]? {
    guard !text.isEmpty, text.utf8.count <= 128,
      text.utf8.allSatisfy({ $0 < 128 && $0 != UInt8(ascii: "=") })
    else { return nil }
    var padded = String(text)
    while padded.utf8.count % 4 != 0 { padded += "=" }
    return Data(base64Encoded: padded).map { Array($0) }
  }
}
