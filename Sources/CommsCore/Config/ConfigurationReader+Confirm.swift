import Foundation

/// Reading the optional `[confirm]` section (see `ConfirmSettings`).
extension ConfigurationReader {
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
    table.rejectUnknownKeys()
    return settings
  }
}
