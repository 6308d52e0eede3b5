import ArgumentParser
import CommsCore
import Foundation

/// Opening the configured store for a CLI command, with an exit that says
/// why when it cannot be opened.
enum StoreAccess {
  /// The store the configuration at `configPath` names, SQLite or PostgreSQL.
  static func open(configPath: String, command: String) throws -> any Store {
    try open(configPath: configPath, command: command, for: .command)
  }

  /// The same store, for a command that only reads it (`status`, `send
  /// --wait`, `dead list`; see `StoreUse.reading`).
  static func openForReading(configPath: String, command: String) throws -> any Store {
    try open(configPath: configPath, command: command, for: .reading)
  }

  private static func open(configPath: String, command: String, for use: StoreUse) throws
    -> any Store
  {
    let location = try self.location(configPath)
    do {
      return try location.settings.open(sqlitePath: location.sqlitePath, for: use)
    } catch {
      printError("\(command): cannot open the store: \(error)")
      throw ExitCode.failure
    }
  }

  private static func location(_ configPath: String) throws -> (
    settings: StoreSettings, sqlitePath: String
  ) {
    do {
      return try ConfigurationLoader.storeLocation(configurationPath: configPath)
    } catch {
      printError(error.description)
      throw ExitCode(78)
    }
  }
}
