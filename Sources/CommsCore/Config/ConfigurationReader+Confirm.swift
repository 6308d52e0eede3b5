import Foundation

/// Reading the optional `[confirm]` section (see `ConfirmSettings`).
extension ConfigurationReader {
  /// One word of letters (and digits), at most 32 characters.
  static func isSMSWord(_ text: String) -> Bool {
    (1...32).contains(text.count) && text.allSatisfy { $0.isLetter || $0.isNumber }
  }

  func readConfirm(_ table: ConfigTable?, dataDirectory: String) -> ConfirmSettings {
    var settings = ConfirmSettings(
      linkKeyFile: (dataDirectory as NSString).appendingPathComponent("confirm-link.key"))
    guard var table else { return settings }
    if let url = table.string("public_url") {
      if url.hasPrefix("https://") || url.hasPrefix("http://"),
        URLComponents(string: url)?.host?.isEmpty == false, !url.contains("?"),
        !url.contains("#"), !url.contains(where: \.isWhitespace)
      {
        settings.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
      } else {
        table.fail(
          "public_url",
          "expected the API's address as readers reach it, e.g. \"https://commsd.kommune.example\" (no query)"
        )
      }
    }
    if let file = table.string("link_key_file") { settings.linkKeyFile = resolve(file) }
    if let valid = table.duration("link_valid", in: .seconds(3600)...(.seconds(90 * 86400))) {
      settings.linkValid = valid
    }
    if let words = table.strings("sms_words") {
      let bad = words.first { !Self.isSMSWord($0.value) }
      if let bad {
        table.fail(
          "sms_words",
          "expected single words of letters, found \"\(Printable.quoted(bad.value))\"",
          line: bad.line)
      } else if words.isEmpty {
        table.fail(
          "sms_words", "give at least one word (or leave the key out for the standard ones)")
      } else {
        settings.smsWords = ConfirmKeywords(words: Set(words.map(\.value)))
      }
    }
    if let prefix = table.string("sms_prefix") {
      if Self.isSMSWord(prefix) {
        settings.smsPrefix = prefix
      } else {
        table.fail("sms_prefix", "expected the leased keyword, one word of letters and digits")
      }
    }
    table.rejectUnknownKeys()
    return settings
  }
}
