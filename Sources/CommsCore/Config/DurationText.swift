/// Durations as operators write them in configuration: `250ms`, `5s`, `30m`,
/// `24h`, `2d`, or combined like `1h30m`.
public enum DurationText {
  /// The parsed duration, or nil when `text` is not of that form.
  public static func parse(_ text: String) -> Duration? {
    var total = 0.0
    var number = ""
    var unit = ""
    var sawAny = false
    func flush() -> Bool {
      guard let value = Double(number), value >= 0 else { return false }
      let scale: Double
      switch unit {
      case "ms": scale = 0.001
      case "s": scale = 1
      case "m": scale = 60
      case "h": scale = 3600
      case "d": scale = 86_400
      default: return false
      }
      total += value * scale
      number = ""
      unit = ""
      sawAny = true
      return true
    }
    for character in text {
      if character.isNumber || character == "." {
        if !unit.isEmpty { guard flush() else { return nil } }
        number.append(character)
      } else if character.isLetter {
        guard !number.isEmpty else { return nil }
        unit.append(character)
      } else {
        return nil
      }
    }
    // Beyond about 292 million years the milliseconds do not fit: refused, not trapped.
    guard flush(), sawAny, total * 1000 < 9.2e18 else { return nil }
    return .milliseconds(Int64((total * 1000).rounded()))
  }

  /// A short human form, e.g. `5s`, `30m`, `1h30m`, `250ms`.
  public static func format(_ duration: Duration) -> String {
    let millis = Int64((duration.seconds * 1000).rounded())
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
