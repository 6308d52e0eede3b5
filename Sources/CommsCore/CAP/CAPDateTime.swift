import Foundation

/// CAP's one date-time form: `YYYY-MM-DDThh:mm:ss±hh:mm`, e.g.
/// `2003-04-02T14:39:01-05:00`. The schema's pattern has no fractional
/// seconds and no `Z`; the standard says UTC is written `-00:00`, and
/// `+00:00` means the same instant, so both are read as UTC.
///
/// Hand-written because `ISO8601DateFormatter` accepts forms CAP does not
/// (and refuses none of the ones CAP forbids), and the check must be exact.
enum CAPDateTime {
  /// The instant `text` denotes, or nil unless it is exactly the CAP form
  /// with a real calendar date and time.
  static func parse(_ text: some StringProtocol) -> Date? {
    let bytes = Array(text.utf8)
    guard bytes.count == 25 else { return nil }
    func number(_ from: Int, _ count: Int) -> Int? {
      var value = 0
      for byte in bytes[from..<(from + count)] {
        guard (48...57).contains(byte) else { return nil }
        value = value * 10 + Int(byte - 48)
      }
      return value
    }
    func byte(_ index: Int, is character: Character) -> Bool {
      character.asciiValue == bytes[index]
    }
    let plus = byte(19, is: "+")
    guard let year = number(0, 4), byte(4, is: "-"), let month = number(5, 2), byte(7, is: "-"),
      let day = number(8, 2), byte(10, is: "T"), let hour = number(11, 2), byte(13, is: ":"),
      let minute = number(14, 2), byte(16, is: ":"), let second = number(17, 2),
      plus || byte(19, is: "-"), let offsetHours = number(20, 2), byte(22, is: ":"),
      let offsetMinutes = number(23, 2),
      year >= 1, (1...12).contains(month), (1...daysIn(month, of: year)).contains(day),
      hour < 24, minute < 60, second < 60, offsetMinutes < 60,
      offsetHours * 60 + offsetMinutes <= 14 * 60
    else { return nil }
    let offset = (offsetHours * 3600 + offsetMinutes * 60) * (plus ? 1 : -1)
    let local = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    return Date(timeIntervalSince1970: TimeInterval(local - offset))
  }

  /// `date` in the CAP form in UTC (`+00:00`), whole seconds (rounded
  /// down, as CAP has no fractions), years held to 0001...9999.
  static func format(_ date: Date) -> String {
    let lowest = daysFromCivil(1, 1, 1) * 86_400
    let highest = daysFromCivil(9999, 12, 31) * 86_400 + 86_399
    let raw = date.timeIntervalSince1970.rounded(.down)
    let seconds = raw.isFinite ? Int(max(Double(lowest), min(Double(highest), raw))) : 0
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let rest = seconds - days * 86_400
    let (year, month, day) = civilFromDays(days)
    func pad(_ value: Int, _ width: Int) -> String {
      let digits = String(value)
      return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(rest / 3600, 2)):"
      + "\(pad(rest / 60 % 60, 2)):\(pad(rest % 60, 2))+00:00"
  }

  private static func daysIn(_ month: Int, of year: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard
  /// Hinnant's `days_from_civil`).
  private static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
    let shifted = month <= 2 ? year - 1 : year
    let era = (shifted >= 0 ? shifted : shifted - 399) / 400
    let yearOfEra = shifted - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  /// The inverse of `daysFromCivil`.
  private static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
    let shifted = days + 719_468
    let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfEra = shifted - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }
}
