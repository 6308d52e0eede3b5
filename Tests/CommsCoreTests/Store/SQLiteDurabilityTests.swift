import Foundation
import GRDB
import Testing

@testable import CommsCore

/// "Nothing accepted is ever lost" on SQLite rests on the writer committing
/// with `synchronous = FULL` in WAL mode: the log is synced before a commit
/// returns, so a power cut cannot take an acknowledged message.
@Suite struct SQLiteDurabilityTests {
  /// GRDB's `DatabasePool` switches its writer to `synchronous = NORMAL`
  /// when it sets up WAL, after `prepareDatabase` asked for FULL: without
  /// the store setting it again, a `commsd send` with no daemon running (a
  /// fresh pool per command) committed its message without an fsync.
  @Test func theWriterOfAFreshlyOpenedStoreSyncsEveryCommit() throws {
    let directory = NSTemporaryDirectory() + "commsd-durability-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for _ in 0..<2 {  // a new file, then an existing one
      let store = try SQLiteStore(path: directory + "/commsd.sqlite")
      let level = try store.pool.writeWithoutTransaction { db in
        try Int.fetchOne(db, sql: "PRAGMA synchronous")
      }
      #expect(level == 2, "synchronous is \(String(describing: level)), not FULL (2)")
    }
  }
}
