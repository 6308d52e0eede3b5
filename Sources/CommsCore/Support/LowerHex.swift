/// Lower-case hexadecimal text of bytes. `String(format: "%02x")` per byte
/// costs about a microsecond each on Linux; the audit chain hashes every
/// event, so this is on the hot path.
enum LowerHex {
  private static let digits = Array("0123456789abcdef".utf8)

  ///
  /// Up to 64 bytes (every digest here) are written on the stack first, so
  /// the string is the only allocation.
  static func string(_ bytes: some Sequence<UInt8>) -> String {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer in
      var count = 0
      var longer: [UInt8] = []
      for byte in bytes {
        if count + 2 > buffer.count {
          if longer.isEmpty { longer.append(contentsOf: buffer[..<count]) }
          longer.append(digits[Int(byte >> 4)])
          longer.append(digits[Int(byte & 0x0F)])
        } else {
          buffer[count] = digits[Int(byte >> 4)]
          buffer[count + 1] = digits[Int(byte & 0x0F)]
        }
        count += 2
      }
      if !longer.isEmpty { return String(decoding: longer, as: UTF8.self) }
      return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<count]), as: UTF8.self)
    }
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
