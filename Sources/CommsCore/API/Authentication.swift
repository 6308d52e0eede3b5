import Crypto
import Foundation
import Synchronization

/// Who a bearer token belongs to. Tokens are configured as SHA-256 hashes
/// only; the presented token is hashed and compared with every configured
/// hash in constant time, so neither the comparison nor the number of
/// tokens tried tells an attacker anything.
struct TokenCheck: Sendable {
  let tokens: [APIToken]

  func identify(_ presented: String) -> APIToken? {
    let digest = Array(SHA256.hash(data: Data(presented.utf8)))
    var found: APIToken?
    for token in tokens where Self.constantTimeEqual(token.hash, digest) { found = token }
    return found
  }

  static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
  }

}

/// Making tokens (`commsd token create`).
public enum APITokens {
  /// A new token: `cmsd_` and 32 random bytes in base64url, and the line
  /// value to configure (`sha256:` and the hex of its SHA-256).
  public static func make() -> (token: String, hash: String) {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) }
    }
    let token =
      "cmsd_"
      + Data(bytes).base64EncodedString()
      .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
    return (token, "sha256:" + LowerHex.string(SHA256.hash(data: Data(token.utf8))))
  }
}

/// Slows down an address that keeps failing to authenticate: the first
/// `free` failures in a minute are answered at once, each further one after
/// a delay that doubles (from 100 ms, at most 5 s), and from `blockAfter`
/// failures the address gets 429 until its minute is over, whatever it sends.
final class FailureThrottle: Sendable {
  struct Entry {
    var failures: Int
    var since: ContinuousClock.Instant
  }

  let window: Duration
  let free: Int
  let blockAfter: Int
  private let entries = Mutex<[String: Entry]>([:])
  /// Bounds memory under a flood from many addresses: the oldest go first.
  private let maxEntries = 10_000

  init(window: Duration = .seconds(60), free: Int = 5, blockAfter: Int = 30) {
    self.window = window
    self.free = free
    self.blockAfter = blockAfter
  }

  /// How long the address is still refused outright, or nil.
  func blocked(_ address: String, now: ContinuousClock.Instant = .now) -> Duration? {
    entries.withLock { entries in
      guard let entry = entries[address], now - entry.since < window else { return nil }
      return entry.failures >= blockAfter ? window - (now - entry.since) : nil
    }
  }

  /// Counts a failure; returns how long to wait before answering it.
  func failed(_ address: String, now: ContinuousClock.Instant = .now) -> Duration {
    entries.withLock { entries in
      var entry = entries[address] ?? Entry(failures: 0, since: now)
      if now - entry.since >= window { entry = Entry(failures: 0, since: now) }
      entry.failures += 1
      if entries.count >= maxEntries, entries[address] == nil,
        let oldest = entries.min(by: { $0.value.since < $1.value.since })?.key
      {
        entries[oldest] = nil
      }
      entries[address] = entry
      let over = entry.failures - free
      guard over > 0 else { return .zero }
      return min(.milliseconds(100) * (1 << min(over - 1, 10)), .seconds(5))
    }
  }

  /// How many failures the address has in its current window.
  func failures(_ address: String) -> Int {
    entries.withLock { $0[address]?.failures ?? 0 }
  }
}
