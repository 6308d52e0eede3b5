import Foundation

/// Reading the optional `[console]` section (see `ConsoleSettings`).
extension ConfigurationReader {
  func readConsole(
    _ table: ConfigTable?, api: APISettings?
  ) -> ConsoleSettings? {
    guard var table else { return nil }
    var settings = ConsoleSettings()
    if let idle = bounded(
      &table, "session_idle", .seconds(300)...Duration.seconds(86_400), "5m to 24h")
    {
      settings.sessionIdle = idle
    }
    if let max = bounded(
      &table, "session_max", .seconds(3600)...Duration.seconds(7 * 86_400), "1h to 7d")
    {
      settings.sessionMax = max
    }
    table.rejectUnknownKeys()
    if api == nil {
      table.failTable("the console is served by the HTTP API: add an [api] section")
    }
    return settings
  }
}
