import Foundation

/// The send time as a reader sees it: wall-clock time in Europe/Copenhagen,
/// where the municipality and its crisis staff are, in the form usual for the
/// reader's language.
///
/// | Language | Form |
/// |----------|------|
/// | `da` | `25.11.2026 kl. 13:05` |
/// | `en` | `25 Nov 2026 13:05` |
/// | `de`, `pl`, `uk` | `25.11.2026, 13:05` |
/// | `tr` | `25.11.2026 13:05` |
/// | others | `2026-11-25 13:05` |
///
/// Written by hand rather than with `DateFormatter` because it runs for every
/// delivery, and a formatter costs microseconds a call.
public enum SendTimeText {
  /// The zone every send time is shown in.
  public static let zone = TimeZone(identifier: "Europe/Copenhagen")!

  public static func format(_ date: Date, language: String) -> String {
    let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: date)
    let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
    let (year, month, day) = civilDate(daysSinceEpoch: secondOfDay < 0 ? days - 1 : days)
    let minuteOfDay = (secondOfDay < 0 ? secondOfDay + 86_400 : secondOfDay) / 60
    let time = "\(twoDigits(minuteOfDay / 60)):\(twoDigits(minuteOfDay % 60))"
    let dotted = "\(twoDigits(day)).\(twoDigits(month)).\(year)"
    switch language {
    case "da": return "\(dotted) kl. \(time)"
    case "en": return "\(day) \(monthAbbreviations[month - 1]) \(year) \(time)"
    case "de", "pl", "uk": return "\(dotted), \(time)"
    case "tr": return "\(dotted) \(time)"
    default:
      let primary = LanguageTag.primary(language)
      guard primary == language else { return format(date, language: primary) }
      return "\(year)-\(twoDigits(month))-\(twoDigits(day)) \(time)"
    }
  }

  private static let monthAbbreviations = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  ]

  private static func twoDigits(_ value: Int) -> String {
    value < 10 ? "0\(value)" : "\(value)"
  }

  /// Year, month and day for a day count from 1970-01-01 (proleptic
  /// Gregorian; Howard Hinnant's `civil_from_days`).
  private static func civilDate(daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
    let shifted = daysSinceEpoch + 719_468
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
