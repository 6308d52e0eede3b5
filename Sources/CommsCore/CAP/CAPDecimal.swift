/// Numbers in CAP's `xs:decimal` form (altitude, ceiling, coordinates, circle
/// radius): an optional sign, digits, an optional fraction; no exponent, no
/// infinity, no NaN, which `Double(_:)` alone would accept.
enum CAPDecimal {
  static func parse(_ text: some StringProtocol) -> Double? {
    var digits = 0
    var points = 0
    for (index, character) in text.enumerated() {
      switch character {
      case "0"..."9": digits += 1
      case ".": points += 1
      case "+" where index == 0, "-" where index == 0: continue
      default: return nil
      }
    }
    guard digits > 0, points <= 1 else { return nil }
    return Double(String(text))
  }

  /// The shortest text that reads back as `value`, in decimal notation (Swift
  /// prints very small and very large doubles with an exponent, which
  /// `xs:decimal` does not allow). A whole number is written without ".0".
  /// Non-finite values, which the reader never produces, are written as 0.
  static func format(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let text = "\(value)"
    guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
      return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
    let exponent = Int(text[text.index(after: e)...]) ?? 0
    var mantissa = text[..<e]
    let negative = mantissa.hasPrefix("-")
    if negative { mantissa = mantissa.dropFirst() }
    let point = mantissa.firstIndex(of: ".").map {
      mantissa.distance(from: mantissa.startIndex, to: $0)
    }
    let digits = mantissa.filter { $0 != "." }
    let position = (point ?? digits.count) + exponent  // digits before the point
    var result: String
    if position <= 0 {
      result = "0." + String(repeating: "0", count: -position) + digits
    } else if position >= digits.count {
      result = digits + String(repeating: "0", count: position - digits.count)
    } else {
      let split = digits.index(digits.startIndex, offsetBy: position)
      result = digits[..<split] + "." + digits[split...]
    }
    while result.contains("."), result.hasSuffix("0") { result.removeLast() }
    if result.hasSuffix(".") { result.removeLast() }
    return negative ? "-" + result : result
  }
}
