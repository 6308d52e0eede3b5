import Foundation
import Synchronization

/// RFC 5322 §3.3 date-time text, e.g. `Wed, 25 Nov 2026 13:05:09 +0100`.
///
/// Written by hand rather than with a `DateFormatter` so day and month names are English
/// whatever the process locale, and the offset is the one in force at that instant in
/// the given time zone (so daylight saving time is right on both sides of a switch).
enum RFC5322Date {
  private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
  private static let monthNames = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  ]

  /// The last text made, by its whole second and zone: every email of a
  /// fan-out in one second has the same Date field, and working it out through
  /// `Calendar` was a tenth of composing an email (issue 25).
  private static let last = Mutex<(second: Double, zone: TimeZone, text: String)?>(nil)

  /// `date` as local time in `timeZone` with its numeric offset; fractions of a second
  /// are dropped.
  static func format(_ date: Date, in timeZone: TimeZone) -> String {
    let second = date.timeIntervalSinceReferenceDate.rounded(.down)
    if let last = last.withLock({ $0 }), last.second == second, last.zone == timeZone {
      return last.text
    }
    let text = worked(date, in: timeZone)
    last.withLock { $0 = (second, timeZone, text) }
    return text
  }

  /// `format(_:in:)` without the last text kept.
  static func worked(_ date: Date, in timeZone: TimeZone) -> String {
    // Offsets are whole minutes on the wire; historic zones with odd seconds are rounded
    // and the local time is computed from the rounded offset so the two always agree.
    let offsetMinutes = Int((Double(timeZone.secondsFromGMT(for: date)) / 60).rounded())
    let wholeSeconds = date.timeIntervalSinceReferenceDate.rounded(.down)
    let local = Date(timeIntervalSinceReferenceDate: wholeSeconds + Double(offsetMinutes * 60))
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 0)!
    let parts = calendar.dateComponents(
      [.year, .month, .day, .hour, .minute, .second, .weekday],
      from: local
    )
    let sign = offsetMinutes < 0 ? "-" : "+"
    let offset = abs(offsetMinutes)
    return "\(dayNames[parts.weekday! - 1]), \(pad(parts.day!, 2)) "
      + "\(monthNames[parts.month! - 1]) \(pad(parts.year!, 4)) "
      + "\(pad(parts.hour!, 2)):\(pad(parts.minute!, 2)):\(pad(parts.second!, 2)) "
      + "\(sign)\(pad(offset / 60, 2))\(pad(offset % 60, 2))"
  }

  private static func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
  }
}
