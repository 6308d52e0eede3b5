import ArgumentParser
import CommsCore
import Foundation

/// Opening the configured store for a CLI command, with an exit that says
/// why when it cannot be opened.
enum StoreAccess {
  /// The store the configuration at `configPath` names, SQLite or PostgreSQL.
  static func open(configPath: String, command: String) throws -> any Store {
    let location = try self.location(configPath)
    do {
      switch location.settings {
      case .sqlite: return try SQLiteStore(path: location.sqlitePath)
      case .postgres(let url, let password):
        return try PostgresStore(url: url, password: password, connections: 2)
      }
    } catch {
      printError("\(command): cannot open the store: \(error)")
      throw ExitCode.failure
    }
  }

  /// The same store, for a command that only reads it (`status`, `send
  /// --wait`, `dead list`): SQLite is opened read-only, without the lock file,
  /// migration and syncs of a writing open, when the file exists and is up
  /// to date; otherwise (and for PostgreSQL) as `open` does.
  static func openForReading(configPath: String, command: String) throws -> any Store {
    let location = try self.location(configPath)
    if case .sqlite = location.settings,
      let store = SQLiteStore.openForReading(path: location.sqlitePath)
    {
      return store
    }
    return try open(configPath: configPath, command: command)
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
