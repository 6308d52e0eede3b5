/// The `[cap]` section: how CAP 1.2 alerts come in (which audiences they
/// reach) and go out (who commsd says it is).
///
/// ```toml
/// [cap]
/// sender = "krisestab@kommune.example"          # required for export-cap
/// sender_name = "Krisestaben, Eksempel Kommune" # <senderName> on export
/// category = "Safety"                           # <category> on export; default "Other"
/// [cap.audiences]
/// "Beboere og ansatte på Amager" = ["staff", "relatives"]   # an <audience> text
/// Fire = ["staff", "police"]                                # a <category>
/// default = ["staff"]                                       # when nothing matches
/// ```
public struct CAPSettings: Sendable, Equatable {
  /// The CAP `<sender>` of what commsd exports; nil when not configured.
  public var sender: String?
  /// The `<senderName>` of what commsd exports, if configured.
  public var senderName: String?
  /// The `<category>` of what commsd exports.
  public var category: CAPCategory
  /// Audiences per key, keyed by `CAPSettings.key(_:)` of the key as written:
  /// an `<audience>` text or a `<category>` value.
  public private(set) var audienceMap: [String: [String]]
  /// The audiences of an alert that no key matches; empty when none is configured.
  public var defaultAudiences: [String]

  public init(
    sender: String? = nil, senderName: String? = nil, category: CAPCategory = .other,
    audienceMap: [String: [String]] = [:], defaultAudiences: [String] = []
  ) {
    self.sender = sender
    self.senderName = senderName
    self.category = category
    self.audienceMap = audienceMap.reduce(into: [:]) { $0[Self.key($1.key)] = $1.value }
    self.defaultAudiences = defaultAudiences
  }

  /// How keys are compared: surrounding whitespace dropped, runs of
  /// whitespace as one space, case ignored ("Fire", "fire" and " FIRE " are
  /// one key).
  public static func key(_ text: String) -> String {
    text.split(whereSeparator: \.isWhitespace).joined(separator: " ").lowercased()
  }

  /// The commsd audiences `alert` goes to, in the order they are first named:
  ///
  /// 1. For each info, its `<audience>` text if a key matches it; otherwise
  ///    every one of its `<category>` values that a key matches. The
  ///    sender's own words for whom it is meant are more specific than the
  ///    kind of event, so a matching audience text wins over the categories.
  /// 2. The union over all infos.
  /// 3. If nothing matched (or the alert has no info): `default`.
  ///
  /// Empty when nothing matches and no default is configured.
  public func audiences(for alert: CAPAlert) -> [String] {
    var result: [String] = []
    func add(_ names: [String]) {
      for name in names where !result.contains(name) { result.append(name) }
    }
    for info in alert.infos {
      if let text = info.audience, let names = audienceMap[Self.key(text)] {
        add(names)
        continue
      }
      for category in info.categories {
        if let names = audienceMap[Self.key(category.rawValue)] { add(names) }
      }
    }
    return result.isEmpty ? defaultAudiences : result
  }
}
