import Foundation

/// A nightly window in which normal messages wait, e.g. 22:00–07:00, read in
/// the recipient's own time zone. Correct across daylight-saving changes: the
/// window is a local wall-clock window, and its end is found by the calendar,
/// not by adding hours.
public struct QuietHours: Sendable, Hashable {
  /// Minutes after local midnight; `start > end` means the window spans midnight.
  public var start: Int
  public var end: Int

  public init(start: Int, end: Int) {
    self.start = start
    self.end = end
  }

  /// 22:00–07:00.
  public static let standard = QuietHours(start: 22 * 60, end: 7 * 60)

  /// Reads `"22:00-07:00"` (also with an en dash); nil if malformed or empty.
  public init?(parsing text: String) {
    // Empty pieces are kept so that "22:00--07:00" or "-22:00-07:00" are rejected, not read.
    let parts = text.replacingOccurrences(of: "–", with: "-")
      .split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, let start = Self.minutes(parts[0]), let end = Self.minutes(parts[1]),
      start != end
    else { return nil }
    self.init(start: start, end: end)
  }

  /// `"7:05"` or `"07:05"` as minutes after midnight; only ASCII digits, because
  /// `Int(_:)` alone would also take a sign (`"+9:00"`, `"22:+5"`).
  static func minutes(_ text: Substring) -> Int? {
    let pieces = text.trimmingCharacters(in: .whitespaces)
      .split(separator: ":", omittingEmptySubsequences: false)
    guard pieces.count == 2, (1...2).contains(pieces[0].count), pieces[1].count == 2,
      pieces.allSatisfy({ $0.allSatisfy { ("0"..."9").contains($0) } }),
      let hour = Int(pieces[0]), let minute = Int(pieces[1]),
      (0..<24).contains(hour), (0..<60).contains(minute)
    else { return nil }
    return hour * 60 + minute
  }

  /// Whether `date` falls in the window in `timeZone`.
  public func contains(_ date: Date, in timeZone: TimeZone) -> Bool {
    let minute = Self.minuteOfDay(date, in: timeZone)
    return start < end ? (minute >= start && minute < end) : (minute >= start || minute < end)
  }

  /// When the window that holds `date` ends (the next local `end` time).
  public func end(after date: Date, in timeZone: TimeZone) -> Date {
    Self.next(minuteOfDay: end, after: date, in: timeZone)
  }

  static func minuteOfDay(_ date: Date, in timeZone: TimeZone) -> Int {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    let parts = calendar.dateComponents([.hour, .minute], from: date)
    return (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
  }

  /// The first instant after `date` whose local time is `minuteOfDay`; on a
  /// day when that time does not exist (spring forward), the first instant after the gap.
  static func next(minuteOfDay: Int, after date: Date, in timeZone: TimeZone) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    let wanted = DateComponents(hour: minuteOfDay / 60, minute: minuteOfDay % 60, second: 0)
    return calendar.nextDate(after: date, matching: wanted, matchingPolicy: .nextTime)
      ?? date.addingTimeInterval(86_400)
  }
}
