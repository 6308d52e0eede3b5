import Foundation
import GRDB

/// Copying the write-ahead log back into the database file, beside the writer.
extension SQLiteStore {
  /// Runs a passive checkpoint every `interval` on a connection of its own
  /// until cancelled. A passive checkpoint never takes the write lock:
  /// commits go on while it copies and syncs, and it copies only what no
  /// reader still needs. Once it has caught up, the next commit starts the
  /// log from the beginning again, so the log stays bounded.
  public func runCheckpoints(every interval: Duration = .milliseconds(500)) async {
    var configuration = GRDB.Configuration()
    configuration.busyMode = .timeout(1)
    guard let connection = try? DatabaseQueue(path: path, configuration: configuration) else {
      return
    }
    while !Task.isCancelled {
      try? await Task.sleep(for: interval)
      _ = try? await connection.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)")
      }
    }
    // The last pages, with the writer quiet by now.
    _ = try? await connection.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)")
    }
  }
}
