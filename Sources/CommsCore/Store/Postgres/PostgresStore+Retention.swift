import Foundation

/// The retention period on PostgreSQL: the same rewrite as SQLite's
/// (`SQLiteStore.applyRetention`), in steps, then `VACUUM` of the three
/// tables, which removes the old row versions that still held the values.
/// What PostgreSQL has already written to its WAL archive and to backups
/// ages out with their own retention: that is the database operator's to
/// set (see README, "Scale-out").
extension PostgresStore {
  /// One node's pass at a time; a node that finds another's running does
  /// nothing now (the other covers the same messages).
  public func applyRetention(
    before cutoff: Date, hash: KeyedHash, at now: Date, period: String
  ) async throws -> RetentionOutcome {
    try await turns.turn(.retention) {
      try await retentionPass(
        before: cutoff, hash: hash, at: now,
        pseudonymise: { try await pseudonymise($0, hash: hash, at: now, period: period) },
        cleanUp: {
          try await pool.withConnection { connection in
            _ = try connection.execute("VACUUM messages, deliveries, audit_events, inquiries")
          }
        })
    } ?? RetentionOutcome()
  }
}
