import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The secret behind the pseudonyms (`KeyedHash`): 32 random bytes, kept as
/// 64 hex digits in a file readable by commsd alone (mode 0600), created on
/// first use.
///
/// By default the file is `retention.key` in the data directory. Someone
/// with both the store and the key can test a guessed address against a
/// pseudonym; keeping the key elsewhere (`[retention] key_file`), or
/// destroying it, takes that away.
public enum RetentionKey {
  public struct Failure: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "retention key \(path): \(reason)" }
  }

  /// The key in `path`, creating the file with a new key when there is none.
  public static func load(path: String) throws(Failure) -> [UInt8] {
    if !FileManager.default.fileExists(atPath: path) { try create(path: path) }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw Failure(path: path, reason: "cannot be read")
    }
    let digits = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard digits.utf8.count == 64, let key = bytes(fromHex: digits) else {
      throw Failure(path: path, reason: "expected 64 hex digits (32 bytes)")
    }
    return key
  }

  private static func create(path: String) throws(Failure) {
    var generator = SystemRandomNumberGenerator()
    let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let text = LowerHex.string(key) + "\n"
    try? FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    // O_EXCL: two processes creating it at once must not end with two keys.
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    if descriptor < 0 {
      if errno == EEXIST { return }
      throw Failure(path: path, reason: "cannot be created: \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    let written = text.utf8CString.withUnsafeBufferPointer { buffer in
      write(descriptor, buffer.baseAddress, buffer.count - 1)
    }
    guard written == text.utf8.count, fsync(descriptor) == 0 else {
      unlink(path)
      throw Failure(path: path, reason: "cannot be written")
    }
  }

  static func bytes(fromHex text: String) -> [UInt8]? {
    var result: [UInt8] = []
    var high: UInt8?
    for character in text.utf8 {
      let value: UInt8
      switch character {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): value = character - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): value = character - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): value = character - UInt8(ascii: "A") + 10
      default: return nil
      }
      if let first = high {
        result.append(first << 4 | value)
        high = nil
      } else {
        high = value
      }
    }
    return high == nil ? result : nil
  }
}
