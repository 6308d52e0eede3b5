import Crypto

/// HMAC-SHA256 (RFC 2104) keyed once: SHA-256's states after the key's
/// inner and outer pads, copied for each code (a copy gets its own state on
/// its first update). For MACs made per delivery: a webhook's signature
/// (`WebhookSigner`) and a confirmation or approval link (`ConfirmLinks`).
///
/// The same construction as swift-crypto's `HMAC<SHA256>`, which computes
/// the same pads and copies the same two states. It is written here on
/// `SHA256`'s own `update(bufferPointer:)` and `finalize()`, which are
/// plain calls: `HMAC` is generic and not inlinable, so from this module
/// each of its `update`s ran unspecialized, looking up generic metadata and
/// walking `regions` through a closure. That was two thirds of a webhook's
/// signature, about 1.7 µs (issue 25). `KeyedSHA256Tests` hold it to
/// `HMAC<SHA256>` and to RFC 4231's vectors.
struct KeyedSHA256: Sendable {
  private static let blockSize = 64
  private let inner: SHA256
  private let outer: SHA256

  init(key: [UInt8]) {
    // A key longer than a block is hashed first; a shorter one is padded
    // with zeros to a block.
    var block = key.count > Self.blockSize ? Array(SHA256.hash(data: key)) : key
    block += repeatElement(0, count: Self.blockSize - block.count)
    var inner = SHA256()
    var outer = SHA256()
    block.map { $0 ^ 0x36 }.withUnsafeBytes { inner.update(bufferPointer: $0) }
    block.map { $0 ^ 0x5C }.withUnsafeBytes { outer.update(bufferPointer: $0) }
    self.inner = inner
    self.outer = outer
  }

  /// The code of `text`'s UTF-8 bytes.
  func code(of text: String) -> SHA256Digest {
    var text = text
    return code { hash in text.withUTF8 { hash.update(bufferPointer: UnsafeRawBufferPointer($0)) } }
  }

  /// The code of the bytes that `feed` gives, in the order given.
  func code(_ feed: (inout SHA256) -> Void) -> SHA256Digest {
    var hash = inner
    feed(&hash)
    var outerHash = outer
    hash.finalize().withUnsafeBytes { outerHash.update(bufferPointer: $0) }
    return outerHash.finalize()
  }
}
