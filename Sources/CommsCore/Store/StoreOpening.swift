import Foundation

extension Configuration {
  /// Opens the configured store for a CLI command (which then reads or
  /// writes it directly): the SQLite file in the data directory, or the
  /// shared PostgreSQL database with a small pool.
  public func openStore() throws -> any Store {
    switch store {
    case .sqlite:
      try SQLiteStore(path: storePath)
    case .postgres(let url, let password):
      try PostgresStore(url: url, password: password, connections: 2)
    }
  }

  /// Where the store is, for logs (a PostgreSQL URL without its password).
  public var storeDescription: String {
    switch store {
    case .sqlite: storePath
    case .postgres(let url, _): PostgresStore.redacted(url)
    }
  }
}

extension HandOverSettings {
  /// The store, opened as `Configuration.openStore()` opens it.
  public func openStore() throws -> any Store {
    switch store {
    case .sqlite:
      try SQLiteStore(path: sqlitePath)
    case .postgres(let url, let password):
      try PostgresStore(url: url, password: password, connections: 2)
    }
  }

  /// Where the store is, for messages (a PostgreSQL URL without its password).
  public var storeDescription: String {
    switch store {
    case .sqlite: sqlitePath
    case .postgres(let url, _): PostgresStore.redacted(url)
    }
  }
}
