import Foundation

/// Reads an HTTP `Retry-After` value: delay-seconds or an HTTP-date.
///
/// A receiver's header is hostile input: the answer is never negative and
/// never longer than `maximum`, however many digits or however far a date
/// it sends (`100000000000000000` once stopped the daemon). How long an
/// endpoint is actually paused is capped again by its `max_pause`, and a
/// retry by `[retry] max_delay`.
public enum RetryAfter {
  /// The longest wait taken from a header: a day. Callers cap it further.
  public static let maximum: Duration = .seconds(86_400)

  public static func parse(_ value: String, now: Date) -> Duration? {
    let trimmed = value.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else { return nil }
    if trimmed.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
      // All digits: too many for an Int is still "a very long time".
      guard let seconds = Int64(trimmed) else { return maximum }
      return min(.seconds(seconds), maximum)
    }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    guard let date = formatter.date(from: trimmed) else { return nil }
    return min(.clamped(seconds: date.timeIntervalSince(now)), maximum)
  }
}
