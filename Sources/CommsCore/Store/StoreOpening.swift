import Foundation

/// What a store is opened for; it decides the SQLite writer's settings and
/// the size of PostgreSQL's pool.
public enum StoreUse: Sendable {
  /// The daemon: SQLite's checkpoints as steps of their own
  /// (`SQLiteStore.runCheckpoints`), a PostgreSQL pool for its loops.
  case daemon
  /// A CLI command that writes (send without a daemon, cancel, dead retry).
  case command
  /// A CLI command that only reads (`status`, `send --wait`, `dead list`):
  /// SQLite read-only, without the lock file, migration and syncs of a
  /// writing open, when the file exists and is up to date; otherwise as
  /// `command`.
  case reading
}

extension StoreSettings {
  /// The one way a store is opened, for the daemon and every command:
  /// the SQLite file at `sqlitePath`, or the shared PostgreSQL database.
  public func open(sqlitePath: String, for use: StoreUse) throws -> any Store {
    switch (self, use) {
    case (.sqlite, .reading):
      if let store = SQLiteStore.openForReading(path: sqlitePath) { return store }
      return try SQLiteStore(path: sqlitePath)
    case (.sqlite, .command):
      return try SQLiteStore(path: sqlitePath)
    case (.sqlite, .daemon):
      return try SQLiteStore(path: sqlitePath, backgroundCheckpoints: true)
    case (.postgres(let url, let password), .daemon):
      return try PostgresStore(url: url, password: password)
    case (.postgres(let url, let password), .command), (.postgres(let url, let password), .reading):
      return try PostgresStore(url: url, password: password, connections: 2)
    }
  }

  /// Where the store is, for logs and messages (a PostgreSQL URL without
  /// its password).
  public func description(sqlitePath: String) -> String {
    switch self {
    case .sqlite: sqlitePath
    case .postgres(let url, _): PostgresStore.redacted(url)
    }
  }
}

extension Configuration {
  /// The configured store, opened for `use`.
  public func openStore(for use: StoreUse = .command) throws -> any Store {
    try store.open(sqlitePath: storePath, for: use)
  }

  /// Where the store is, for logs (a PostgreSQL URL without its password).
  public var storeDescription: String { store.description(sqlitePath: storePath) }
}

extension HandOverSettings {
  /// The store, opened as `Configuration.openStore(for:)` opens it.
  public func openStore(for use: StoreUse = .command) throws -> any Store {
    try store.open(sqlitePath: sqlitePath, for: use)
  }

  /// Where the store is, for messages (a PostgreSQL URL without its password).
  public var storeDescription: String { store.description(sqlitePath: sqlitePath) }
}
