/// The console's language: Danish or English, chosen by the person (a
/// cookie set from the footer's links) or their browser (`Accept-Language`).
/// Every text on a page is written in both, side by side, where it is used.
public struct Words: Sendable, Equatable {
  public let language: String

  public init(_ language: String) { self.language = language == "da" ? "da" : "en" }

  public var danish: Bool { language == "da" }

  /// The text in the person's language.
  public func callAsFunction(_ da: String, _ en: String) -> String { danish ? da : en }

  /// The language for a request: the `commsd-lang` cookie, else the first
  /// of da or en in `Accept-Language`, else `fallback`.
  public static func choose(cookie: String?, acceptLanguage: String?, fallback: String) -> Words {
    if let cookie, cookie == "da" || cookie == "en" { return Words(cookie) }
    for part in (acceptLanguage ?? "").split(separator: ",").prefix(20) {
      let tag = part.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
      if let tag, tag.hasPrefix("da") { return Words("da") }
      if let tag, tag.hasPrefix("en") { return Words("en") }
    }
    return Words(fallback)
  }
}
