import GRDB

/// Applies the store's migrations (`StoreSchema`) to a SQLite store through
/// GRDB's migrator, at start, by every process that opens the store.
enum SQLiteSchema {
  static func migrator() -> DatabaseMigrator {
    var migrator = DatabaseMigrator()
    for migration in StoreSchema.migrations(.sqlite) {
      migrator.registerMigration(migration.name) { db in
        try db.execute(sql: migration.sql)
        if migration.name == "0006-audit-chain" { try chainEarlierEvents(db) }
      }
    }
    return migrator
  }

  /// Chains the events written before the chain existed, in order.
  private static func chainEarlierEvents(_ db: Database) throws {
    var previous = AuditChain.genesis
    for row in try Row.fetchAll(
      db,
      sql:
        "SELECT seq, at, kind, message_id, delivery_id, actor, detail FROM audit_events ORDER BY seq"
    ) {
      var link = AuditChain.Link(
        sequence: row[0], at: row[1], kind: row[2], messageID: row[3], deliveryID: row[4],
        actor: row[5], detail: row[6], previous: previous)
      link.hash = link.expectedHash
      try db.execute(
        sql: "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?",
        arguments: [link.previous, link.hash, link.sequence])
      previous = link.hash
    }
  }
}
