import Foundation

/// Reading the optional `[retention]` section (see `RetentionSettings`).
extension ConfigurationReader {
  func readRetention(_ table: ConfigTable?, dataDirectory: String) -> RetentionSettings {
    let defaultKey = (dataDirectory as NSString).appendingPathComponent("retention.key")
    var settings = RetentionSettings(keyFile: defaultKey)
    guard var table else { return settings }
    if let text = table.string("period", required: true) {
      if let period = DurationText.parse(text), period >= .seconds(3600) {
        settings.period = period
      } else {
        table.fail(
          "period",
          "expected a duration of at least 1h (at most 3660d) such as \"180d\" (personal data is needed while messages go out), found \"\(Printable.quoted(text))\""
        )
      }
    }
    if let file = table.string("key_file") { settings.keyFile = resolve(file) }
    if let every = table.duration("check_every", in: .seconds(1)...(.seconds(30 * 86_400))) {
      settings.checkEvery = every
    }
    table.rejectUnknownKeys()
    return settings
  }
}
