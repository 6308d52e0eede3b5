/// Durations as operators write them in configuration: `250ms`, `5s`, `30m`,
/// `24h`, `2d`, or combined like `1h30m`.
///
/// Typed at 3 a.m., so every value is bounded: nothing longer than
/// `maximum` is taken, and no text, however long its digits, can trap a
/// conversion (the count is kept in floating point and compared before it
/// becomes a `Duration`).
public enum DurationText {
  /// The longest duration commsd takes anywhere (ten years): far beyond any
  /// sensible setting, far inside what every time conversion can hold.
  public static let maximum: Duration = .seconds(10 * 366 * 86_400)

  /// The longest text looked at; a duration needs a dozen characters.
  static let maxLength = 64

  /// Why a text is not a duration.
  public enum Failure: Error, Sendable, Equatable {
    /// Not of the form `250ms`, `5s`, `1h30m`.
    case malformed
    /// Longer than `maximum`.
    case tooLong
  }

  /// The parsed duration, or nil when `text` is not of that form or is
  /// longer than `maximum`.
  public static func parse(_ text: String) -> Duration? { try? read(text).get() }

  /// The parsed duration, or why not.
  public static func read(_ text: String) -> Result<Duration, Failure> {
    guard text.utf8.count <= maxLength else { return .failure(.malformed) }
    var total = 0.0
    var number = ""
    var unit = ""
    var sawAny = false
    func flush() -> Failure? {
      guard let value = Double(number), value >= 0 else { return .malformed }
      let scale: Double
      switch unit {
      case "ms": scale = 0.001
      case "s": scale = 1
      case "m": scale = 60
      case "h": scale = 3600
      case "d": scale = 86_400
      default: return .malformed
      }
      total += value * scale
      number = ""
      unit = ""
      sawAny = true
      return nil
    }
    for character in text {
      if character.isASCII && (character.isNumber || character == ".") {
        if !unit.isEmpty, let failure = flush() { return .failure(failure) }
        number.append(character)
      } else if character.isASCII && character.isLetter {
        guard !number.isEmpty else { return .failure(.malformed) }
        unit.append(character)
      } else {
        return .failure(.malformed)
      }
    }
    if let failure = flush() { return .failure(failure) }
    guard sawAny else { return .failure(.malformed) }
    // Compared as a Double first: `99999999999999999d` must not reach Int64.
    guard total.isFinite, total <= maximum.seconds else { return .failure(.tooLong) }
    return .success(.clamped(seconds: total))
  }

  /// What an operator is told about `text` that `read` refused, after the
  /// key or option it was given for.
  public static func explain(_ failure: Failure, _ text: String) -> String {
    switch failure {
    case .malformed:
      "expected a duration such as \"250ms\", \"5s\", \"30m\" or \"24h\", found \"\(Printable.quoted(text))\""
    case .tooLong:
      "\"\(Printable.quoted(text))\" is longer than commsd takes (at most \(format(maximum)))"
    }
  }

  /// A short human form, e.g. `5s`, `30m`, `1h30m`, `250ms`.
  public static func format(_ duration: Duration) -> String {
    let millis = Duration.clampedMilliseconds(duration.seconds * 1000)
    if millis % 1000 != 0 { return "\(millis)ms" }
    var seconds = millis / 1000
    if seconds == 0 { return "0s" }
    var out = ""
    for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60), ("s", 1)]
    where seconds >= size {
      out += "\(seconds / size)\(unit)"
      seconds %= size
    }
    return out
  }
}
