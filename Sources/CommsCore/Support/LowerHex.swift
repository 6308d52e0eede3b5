/// Lower-case hexadecimal text of bytes. `String(format: "%02x")` per byte
/// costs about a microsecond each on Linux; the audit chain hashes every
/// event, so this is on the hot path.
enum LowerHex {
  private static let digits = Array("0123456789abcdef".utf8)

  static func string(_ bytes: some Sequence<UInt8>) -> String {
    var text: [UInt8] = []
    text.reserveCapacity(64)
    for byte in bytes {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// The value of one hexadecimal digit (either case), or nil.
  static func value(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 48...57: byte - 48
    case 65...70: byte - 55
    case 97...102: byte - 87
    default: nil
    }
  }
}
