/// Language codes as recipients' lists write them: `da`, `en`, `en-GB`,
/// `pt_BR`, in any case.
enum LanguageTag {
  /// The primary language subtag in lower case: `en-GB` → `en`.
  static func primary(_ tag: String) -> String {
    tag.prefix { $0 != "-" && $0 != "_" }.lowercased()
  }
}
