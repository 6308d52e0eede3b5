/// Base64 (RFC 4648, with padding) written straight into a `String`: one
/// allocation, where `Data(bytes).base64EncodedString()` took three. Used
/// for each webhook's signature (issue 25).
enum Base64Text {
  private static let alphabet = Array(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  /// `prefix` (ASCII) followed by `bytes` in base64.
  static func encode(_ bytes: UnsafeRawBufferPointer, after prefix: StaticString = "") -> String {
    let length = prefix.utf8CodeUnitCount + (bytes.count + 2) / 3 * 4
    return String(unsafeUninitializedCapacity: length) { text in
      var at = 0
      prefix.withUTF8Buffer { head in
        for byte in head {
          text[at] = byte
          at += 1
        }
      }
      var index = 0
      while index < bytes.count {
        let first = bytes[index]
        let second = index + 1 < bytes.count ? bytes[index + 1] : 0
        let third = index + 2 < bytes.count ? bytes[index + 2] : 0
        text[at] = alphabet[Int(first >> 2)]
        text[at + 1] = alphabet[Int((first & 0x03) << 4 | second >> 4)]
        text[at + 2] =
          index + 1 < bytes.count ? alphabet[Int((second & 0x0F) << 2 | third >> 6)] : 0x3D
        text[at + 3] = index + 2 < bytes.count ? alphabet[Int(third & 0x3F)] : 0x3D
        at += 4
        index += 3
      }
      return at
    }
  }
}
