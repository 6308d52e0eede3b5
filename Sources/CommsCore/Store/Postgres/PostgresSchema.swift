import Foundation

/// Applies the store's migrations (`StoreSchema`) to a PostgreSQL store, at
/// start, by every node. Nodes starting together take turns (an advisory
/// lock), so each migration runs once.
enum PostgresSchema {
  /// The advisory lock key that serializes migrations (any fixed number).
  static let migrationLock: Int64 = 0x636F_6D6D_7364_0001

  /// Applies the migrations not yet applied, each in a transaction of its
  /// own, while holding the migration lock.
  static func migrate(_ connection: PostgresConnection) throws {
    try connection.query("SELECT pg_advisory_lock($1)", [migrationLock])
    defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [migrationLock]) }
    try connection.execute(
      """
      CREATE TABLE IF NOT EXISTS commsd_migrations (
        name TEXT PRIMARY KEY,
        applied_at TEXT NOT NULL
      )
      """)
    let applied = Set(
      try connection.query("SELECT name FROM commsd_migrations").map { try $0[0] as String })
    for migration in StoreSchema.migrations(.postgres) where !applied.contains(migration.name) {
      try connection.execute("BEGIN")
      do {
        try connection.execute(migration.sql)
        try connection.query(
          "INSERT INTO commsd_migrations (name, applied_at) VALUES ($1, $2)",
          [migration.name, Timestamp.format(Date())])
        try connection.execute("COMMIT")
      } catch {
        _ = try? connection.execute("ROLLBACK")
        throw error
      }
    }
  }
}
