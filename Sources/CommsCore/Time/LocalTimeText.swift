import Foundation

/// A release time as a person types it at 3 a.m.: RFC 3339 with an offset
/// (`2026-11-26T14:00:00+01:00`), or a local date and time without one
/// (`2026-11-26T14:00`, `2026-11-26 14:00:30`) in the municipality's time
/// zone (Europe/Copenhagen). Around the changes to and from summer time a
/// local time may not exist (the hour skipped in March) or may occur twice
/// (the hour repeated in October): the first is refused, the second must
/// carry its offset. Never a trap: any length, any bytes.
public enum LocalTimeText {
  public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a date and time this reads.
    case malformed(String)
    /// Skipped by the change to summer time.
    case nonexistent(String, zone: String)
    /// Repeated by the change back: either of two instants, by offset.
    case ambiguous(String, zone: String, offsets: [String])

    public var description: String {
      switch self {
      case .malformed(let text):
        "\"\(Printable.quoted(text))\" is not a time such as 2026-11-26T14:00 or 2026-11-26T14:00:00+01:00"
      case .nonexistent(let text, let zone):
        "\(text) does not exist in \(zone): the clocks skip that hour (summer time begins); give another time"
      case .ambiguous(let text, let zone, let offsets):
        "\(text) occurs twice in \(zone) (summer time ends): add the offset, \(offsets.map { "\(text)\($0)" }.joined(separator: " or "))"
      }
    }
  }

  /// The instant `text` names, in `zone` when it carries no offset.
  public static func read(_ text: String, in zone: TimeZone) -> Result<Date, Failure> {
    guard text.utf8.count <= 40 else { return .failure(.malformed(String(text.prefix(40)))) }
    if let date = Timestamp.parse(text) { return .success(date) }
    guard let fields = localFields(text) else { return .failure(.malformed(text)) }
    var utc = Calendar(identifier: .gregorian)
    utc.timeZone = .gmt
    guard let naive = utc.date(from: fields) else { return .failure(.malformed(text)) }
    // The instants whose local time in `zone` is `naive`: one, none (a
    // gap) or two (an overlap). The offsets a day either side cover any
    // change in between.
    let offsets = Set([-86_400.0, 0, 86_400].map { zone.secondsFromGMT(for: naive + $0) })
    let instants = offsets.map { naive - Double($0) }
      .filter { Double(zone.secondsFromGMT(for: $0)) == naive.timeIntervalSince($0) }
      .sorted()
    let shown = display(fields)
    switch instants.count {
    case 1: return .success(instants[0])
    case 0: return .failure(.nonexistent(shown, zone: zone.identifier))
    default:
      return .failure(
        .ambiguous(
          shown, zone: zone.identifier,
          offsets: instants.map { offsetText(zone.secondsFromGMT(for: $0)) }))
    }
  }

  /// As `read(_:in:)`, and also a time of day alone (`14:00`, `14:00:30`):
  /// that time on `today`'s date in `zone`, as someone at 13:30 means
  /// "14:00". The same checks for the hour summer time skips or repeats.
  public static func read(_ text: String, in zone: TimeZone, today: Date) -> Result<Date, Failure> {
    let bytes = Array(text.utf8)
    guard bytes.count == 5 || bytes.count == 8, bytes[2] == 58 else { return read(text, in: zone) }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    let day = calendar.dateComponents([.year, .month, .day], from: today)
    let date = String(
      format: "%04d-%02d-%02dT", day.year ?? 0, day.month ?? 0, day.day ?? 0)
    return read(date + text, in: zone)
  }

  /// `date` as this reads it back, in `zone` with its offset:
  /// `2026-11-26T14:00:00+01:00`, so an operator can copy it into `--at`.
  public static func format(_ date: Date, in zone: TimeZone = SendTimeText.zone) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    let fields = calendar.dateComponents(
      [.year, .month, .day, .hour, .minute, .second], from: date)
    return display(fields) + offsetText(zone.secondsFromGMT(for: date))
  }

  /// `YYYY-MM-DDTHH:MM[:SS]` (or a space for the `T`), each field in range.
  static func localFields(_ text: String) -> DateComponents? {
    let bytes = Array(text.utf8)
    guard bytes.count == 16 || bytes.count == 19 else { return nil }
    func number(_ range: Range<Int>) -> Int? {
      var value = 0
      for byte in bytes[range] {
        guard (48...57).contains(byte) else { return nil }
        value = value * 10 + Int(byte - 48)
      }
      return value
    }
    guard bytes[4] == 45, bytes[7] == 45, bytes[10] == 84 || bytes[10] == 32, bytes[13] == 58,
      bytes.count == 16 || bytes[16] == 58,
      let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
      let hour = number(11..<13), let minute = number(14..<16),
      let second = bytes.count == 19 ? number(17..<19) : 0,
      (1...9999).contains(year), (1...12).contains(month), (0...23).contains(hour),
      (0...59).contains(minute), (0...59).contains(second)
    else { return nil }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = .gmt
    guard
      let first = calendar.date(from: DateComponents(year: year, month: month, day: 1)),
      let days = calendar.range(of: .day, in: .month, for: first), days.contains(day)
    else { return nil }
    return DateComponents(
      year: year, month: month, day: day, hour: hour, minute: minute, second: second)
  }

  private static func display(_ fields: DateComponents) -> String {
    String(
      format: "%04d-%02d-%02dT%02d:%02d:%02d", fields.year ?? 0, fields.month ?? 0,
      fields.day ?? 0, fields.hour ?? 0, fields.minute ?? 0, fields.second ?? 0)
  }

  private static func offsetText(_ seconds: Int) -> String {
    let sign = seconds < 0 ? "-" : "+"
    let minutes = abs(seconds) / 60
    return String(format: "%@%02d:%02d", sign, minutes / 60, minutes % 60)
  }
}
