import Foundation
import GRDB

/// Copying the write-ahead log back into the database file, on a schedule
/// of the daemon's choosing rather than inside an unlucky commit.
extension SQLiteStore {
  /// Runs a checkpoint every `interval` until cancelled, as a step of its
  /// own in the writer's queue, behind any intake that waits
  /// (`UrgentWrites`).
  ///
  /// Why on the writer: a checkpoint on another connection runs beside the
  /// commits and never catches up with them under load, so the log is never
  /// restarted and grows without bound; reads and writes then slow down with
  /// its size (measured: webhooks fell from 13,700/s to 9,000/s). Between two
  /// of the writer's transactions the checkpoint copies everything, and the
  /// next commit starts the log from the beginning again. Why not SQLite's
  /// automatic checkpoint: it runs inside whichever commit crosses 1,000
  /// pages, and that may be a flash message's intake.
  public func runCheckpoints(every interval: Duration = .milliseconds(100)) async {
    while !Task.isCancelled {
      try? await Task.sleep(for: interval)
      await checkpoint()
    }
    await checkpoint()
  }

  func checkpoint() async {
    await urgent.yield()
    _ = try? await pool.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)")
    }
  }
}
