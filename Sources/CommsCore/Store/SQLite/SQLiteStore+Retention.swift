import Foundation
import GRDB

/// The retention period: a message's bodies and contact data, and the
/// personal data of its audit events, replaced by keyed hashes.
extension SQLiteStore {
  public typealias RetentionOutcome = CommsCore.RetentionOutcome

  /// Pseudonymises every message accepted before `cutoff` whose deliveries
  /// have all reached a final state. Idempotent: a pass stopped half-way (a
  /// crash) is finished by the next one.
  ///
  /// Kept readable: ids (recipient, message, delivery), audiences, states,
  /// times, status codes, subjects, and the audit chain itself. Replaced:
  /// bodies, recipient names, every contact address (also the fallback
  /// contacts), error texts, and the personal data beside audit events.
  /// The store runs with `secure_delete`, so the old bytes are overwritten
  /// rather than left in free space; the write-ahead log is emptied after
  /// the pass (`wal_checkpoint(TRUNCATE)`), since it holds old page images.
  public func applyRetention(
    before cutoff: Date, hash: KeyedHash, at now: Date, period: String
  ) async throws -> RetentionOutcome {
    try await retentionPass(
      before: cutoff, hash: hash, at: now,
      pseudonymise: { try await pseudonymise($0, hash: hash, at: now, period: period) },
      cleanUp: { try await emptyWriteAheadLog() })
  }

  /// Copies the write-ahead log into the database file and truncates it, so
  /// no old page image (with the values just replaced) stays in it.
  /// Waits (the busy handler, up to 30 s) for readers of older snapshots.
  func emptyWriteAheadLog() async throws {
    await urgent.yield()
    try await pool.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
    }
  }
}
