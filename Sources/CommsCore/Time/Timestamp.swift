import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The one time format in storage and in JSON: RFC 3339 in UTC with
/// millisecond precision and a fixed width (`2026-11-25T12:03:04.512Z`), so
/// stored times sort as text and read well in `sqlite3`.
///
/// Hand-written rather than `ISO8601DateFormatter` because it runs for every
/// delivery row on the hot path, and the formatter costs microseconds a call.
public enum Timestamp {
  /// The fixed-width RFC 3339 UTC form of `date`.
  ///
  /// Total: a date outside 0001–9999 (which only a bug or a hostile value
  /// can make, since every time from outside is bounded first) is written
  /// as the nearest end of that range rather than trapping in the
  /// conversion, and NaN as the epoch.
  public static func format(_ date: Date) -> String {
    let interval = date.timeIntervalSince1970
    let bounded =
      interval.isNaN
      ? 0
      : min(
        max(interval, minimum.timeIntervalSince1970), maximum.timeIntervalSince1970 - 0.001)
    let totalMillis = Int64((bounded * 1000).rounded())
    var seconds = time_t(totalMillis >= 0 ? totalMillis / 1000 : (totalMillis - 999) / 1000)
    let millis = Int(totalMillis - Int64(seconds) * 1000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(unsafeUninitializedCapacity: 24) { out in
      func put(_ value: Int, width: Int, at offset: Int) {
        var rest = value
        for index in stride(from: offset + width - 1, through: offset, by: -1) {
          out[index] = UInt8(48 + rest % 10)
          rest /= 10
        }
      }
      put(Int(parts.tm_year) + 1900, width: 4, at: 0)
      out[4] = UInt8(ascii: "-")
      put(Int(parts.tm_mon) + 1, width: 2, at: 5)
      out[7] = UInt8(ascii: "-")
      put(Int(parts.tm_mday), width: 2, at: 8)
      out[10] = UInt8(ascii: "T")
      put(Int(parts.tm_hour), width: 2, at: 11)
      out[13] = UInt8(ascii: ":")
      put(Int(parts.tm_min), width: 2, at: 14)
      out[16] = UInt8(ascii: ":")
      put(Int(parts.tm_sec), width: 2, at: 17)
      out[19] = UInt8(ascii: ".")
      put(millis, width: 3, at: 20)
      out[23] = UInt8(ascii: "Z")
      return 24
    }
  }

  /// Parses RFC 3339 (`Z` or `±hh:mm` offset, optional fraction); nil if malformed.
  public static func parse(_ text: String) -> Date? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 20 else { return nil }
    func number(_ from: Int, _ count: Int) -> Int? {
      guard from + count <= bytes.count else { return nil }
      var value = 0
      for byte in bytes[from..<(from + count)] {
        guard byte >= 48, byte <= 57 else { return nil }
        value = value * 10 + Int(byte - 48)
      }
      return value
    }
    guard let year = number(0, 4), bytes[4] == 45, let month = number(5, 2), bytes[7] == 45,
      let day = number(8, 2), bytes[10] == 84 || bytes[10] == 116 || bytes[10] == 32,
      let hour = number(11, 2), bytes[13] == 58, let minute = number(14, 2), bytes[16] == 58,
      let second = number(17, 2),
      (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
    else { return nil }
    var index = 19
    var fraction = 0.0
    if index < bytes.count, bytes[index] == 46 {
      index += 1
      var digits = 0
      var scale = 1.0
      let start = index
      while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
        if index - start < 9 {
          digits = digits * 10 + Int(bytes[index] - 48)
          scale *= 10
        }
        index += 1
      }
      if index == start { return nil }
      fraction = Double(digits) / scale
    }
    guard index < bytes.count else { return nil }
    var offset = 0
    switch bytes[index] {
    case 90, 122:
      index += 1
    case 43, 45:
      guard let offsetHours = number(index + 1, 2), index + 3 < bytes.count, bytes[index + 3] == 58,
        let offsetMinutes = number(index + 4, 2), offsetHours < 24, offsetMinutes < 60
      else { return nil }
      offset = (offsetHours * 60 + offsetMinutes) * 60 * (bytes[index] == 45 ? -1 : 1)
      index += 6
    default:
      return nil
    }
    guard index == bytes.count else { return nil }
    var parts = tm()
    parts.tm_year = Int32(year - 1900)
    parts.tm_mon = Int32(month - 1)
    parts.tm_mday = Int32(day)
    parts.tm_hour = Int32(hour)
    parts.tm_min = Int32(minute)
    parts.tm_sec = Int32(second)
    let seconds = timegm(&parts)
    let date = Date(timeIntervalSince1970: TimeInterval(seconds - offset) + fraction)
    // Stored times have four year digits: a time that is another year in
    // UTC than 0001–9999 could not be written back (9999-12-31T23:59-01:00).
    guard date >= minimum, date < maximum else { return nil }
    return date
  }

  /// 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z: the range `format` can write.
  static let minimum = Date(timeIntervalSince1970: -62_135_596_800)
  static let maximum = Date(timeIntervalSince1970: 253_402_300_800)
}
