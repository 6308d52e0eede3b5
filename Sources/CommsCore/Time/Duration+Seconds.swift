/// Conversions between `Duration` and seconds as a `Double`, total over every
/// input: a time that came from outside (a receiver's header, a setting, a
/// store edited by hand) may be huge, negative, infinite or NaN, and an
/// unchecked `Int64(…)` of it stops the daemon.
extension Duration {
  /// The duration in seconds as a floating-point number.
  public var seconds: Double {
    let (whole, attoseconds) = components
    return Double(whole) + Double(attoseconds) / 1e18
  }

  /// The largest duration these conversions give: a hundred years, beyond
  /// anything commsd waits for and inside what every conversion holds.
  public static let clampLimit: Duration = .seconds(100 * 366 * 86_400)

  /// `seconds` as a duration, negative and NaN as zero, huge and infinite as
  /// `clampLimit`.
  public static func clamped(seconds: Double) -> Duration {
    .milliseconds(clampedMilliseconds(seconds * 1000))
  }

  /// `seconds` in whole seconds (cut down), bounded as `clamped(seconds:)`:
  /// a time waited, to show or record, from two dates of which one may
  /// come from outside.
  public static func wholeSeconds(_ seconds: Double) -> Duration {
    .seconds(
      clamped(seconds: seconds.isFinite ? seconds.rounded(.down) : seconds).components.seconds)
  }

  /// `milliseconds` rounded to a whole number, with the same bounds as `clamped(seconds:)`.
  static func clampedMilliseconds(_ milliseconds: Double) -> Int64 {
    let limit = clampLimit.seconds * 1000
    guard milliseconds.isFinite else { return milliseconds > 0 ? Int64(limit) : 0 }
    return Int64(min(max(milliseconds, 0), limit).rounded())
  }
}
