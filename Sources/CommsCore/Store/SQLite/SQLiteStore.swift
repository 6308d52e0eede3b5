import Foundation
import GRDB

#if canImport(Glibc)
  import Glibc
#endif

/// The embedded store: one SQLite file in WAL mode with `synchronous = FULL`,
/// so a commit is on disk before any caller hears of it. Several processes
/// (the daemon and CLI commands) may open it at once; only one daemon leases.
public final class SQLiteStore: Store {
  let pool: DatabasePool
  public let path: String
  /// Intake goes ahead of the daemon's bulk writes (see `UrgentWrites`).
  let urgent = UrgentWrites()
  /// Everyday intakes written together (see `accept`).
  let intakeBatch = IntakeBatch()

  /// Opens (creating if needed) the store at `path` and applies migrations.
  ///
  /// With `backgroundCheckpoints` (the daemon), commits never copy the
  /// write-ahead log back into the database file themselves: SQLite's
  /// automatic checkpoint runs inside whichever commit crosses 1,000 pages,
  /// copying them and syncing the database file before that commit returns.
  /// `runCheckpoints()` does that work as a step of its own in the writer's
  /// queue instead, where a waiting intake goes first.
  public init(path: String, backgroundCheckpoints: Bool = false) throws {
    self.path = path
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    var configuration = GRDB.Configuration()
    // When another process holds the write lock, try again every millisecond
    // for up to 30 s. SQLite's own timeout backs off to 100 ms sleeps, and a
    // busy daemon's transactions leave gaps far shorter than that: a
    // `commsd send` would starve behind it (measured: sends waited seconds
    // under a bulk backlog). A large fan-out's planning transaction is
    // waited for rather than failed.
    configuration.busyMode = .callback { tries in
      guard tries < 30_000 else { return false }
      usleep(1000)
      return true
    }
    configuration.prepareDatabase { db in
      // WAL with FULL syncs the log on every commit: durable, not just consistent.
      try db.execute(sql: "PRAGMA synchronous = FULL")
      // Freed space is overwritten with zeros, so a value replaced after the
      // retention period leaves no old copy in the file's free space (and
      // none from the row moves before it). Costs little here: the queue
      // rewrites rows in place and rarely frees whole pages.
      try db.execute(sql: "PRAGMA secure_delete = ON")
      if backgroundCheckpoints { try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
      // A statement that writes many rows (a chunk of outcomes, of a plan's
      // deliveries, of audit events) keeps a statement journal to undo
      // itself alone; in a temporary file that was 3 more pwrite() per
      // delivery (issue 25). It is small, and gone with the statement.
      try db.execute(sql: "PRAGMA temp_store = MEMORY")
    }
    // Opening a new store switches it to WAL, and GRDB reads which
    // migrations ran before it takes a write lock: two processes opening a
    // new store at once (the daemon and `commsd send`) could trip over each
    // other in both. A file lock makes them take turns; it is held only
    // while opening.
    pool = try FileLock.withExclusiveLock(path: path + ".open-lock") {
      let pool = try DatabasePool(path: path, configuration: configuration)
      // GRDB sets up WAL on the writer after `prepareDatabase` and switches
      // it to `synchronous = NORMAL` as it does: set FULL again, or commits
      // (a `commsd send` without a daemon, the daemon's first intakes) return
      // before the log is synced. Held by SQLiteDurabilityTests.
      try pool.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA synchronous = FULL")
        // The writer's page cache: 16 MiB instead of SQLite's 2 MiB. Every
        // delivery touches its row and index pages three times (plan,
        // lease, outcome); with 2 MiB a 50,000-delivery send read 1.5 pages
        // per delivery back from the file, with 16 MiB 0.9 (issue 25).
        // Readers keep the default: five of them at 16 MiB could cost the
        // daemon 80 MB.
        try db.execute(sql: "PRAGMA cache_size = -16384")
      }
      try SQLiteSchema.migrator().migrate(pool)
      return pool
    }
  }

  private init(readOnly pool: DatabasePool, path: String) {
    self.pool = pool
    self.path = path
  }

  /// Opens an existing store that this binary's migrations already brought
  /// up to date, for reading only: no lock file, no migration, no commit and
  /// no fsync. (`init(path:)` with no daemon running finds no write-ahead
  /// log, and GRDB then creates and drops a table to make one: 18 writes and
  /// 4 `fdatasync` for every `commsd status`, measured.)
  /// Any write through the returned store fails with SQLite's read-only error.
  ///
  /// Returns nil when the file does not exist, cannot be opened read-only,
  /// or its schema is not this binary's: the caller then opens it with
  /// `init(path:)`, which creates or migrates it as before.
  public static func openForReading(path: String) -> SQLiteStore? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    var configuration = GRDB.Configuration()
    configuration.readonly = true
    do {
      let pool = try DatabasePool(path: path, configuration: configuration)
      let current = try pool.read { db in
        try SQLiteSchema.migrator().hasCompletedMigrations(db)
      }
      return current ? SQLiteStore(readOnly: pool, path: path) : nil
    } catch {
      return nil
    }
  }

  /// Durable before it returns. Flash and urgent intakes go ahead of the
  /// daemon's bulk writes (`UrgentWrites`), each in its own transaction.
  /// Normal and bulk ones queue with the bulk writes, and those that arrive
  /// together share a transaction (`IntakeBatch`): a steady stream of
  /// everyday requests (measured: 2,000/s over HTTP) had otherwise held every
  /// planning, leasing and recording transaction back, and delivery all but
  /// stopped while it lasted.
  public func accept(_ message: Message, fingerprint: String) async throws -> AcceptOutcome {
    if message.priority <= .urgent {
      return try await urgent.run {
        try await pool.write { db in
          try StoreTransaction(connection: .sqlite(db)).accept(message, fingerprint: fingerprint)
        }
      }
    }
    return try await withCheckedThrowingContinuation { continuation in
      let item = IntakeBatch.Item(
        message: message, fingerprint: fingerprint, continuation: continuation)
      if intakeBatch.add(item) {
        Task { await self.drainIntakes() }
      }
    }
  }

  /// Writes queued intakes, a batch per transaction, until none wait.
  private func drainIntakes() async {
    while true {
      let items = intakeBatch.next()
      guard !items.isEmpty else { return }
      do {
        let outcomes = try await pool.write { db in
          items.map { item -> Result<AcceptOutcome, any Error> in
            var outcome: Result<AcceptOutcome, any Error> = .failure(CancellationError())
            do {
              try db.inSavepoint {
                outcome = .success(
                  try StoreTransaction(connection: .sqlite(db)).accept(
                    item.message, fingerprint: item.fingerprint))
                return .commit
              }
            } catch {
              // Whatever the savepoint wrote is gone, the chain head with it.
              AuditHeads.forget(in: db)
              outcome = .failure(error)
            }
            return outcome
          }
        }
        for (item, outcome) in zip(items, outcomes) { item.continuation.resume(with: outcome) }
      } catch {
        for item in items { item.continuation.resume(throwing: error) }
      }
    }
  }

  /// Appends `event` to the audit chain (see `insertAudit(_:_:)` for many).
  static func insertAudit(_ db: Database, _ event: AuditEvent) throws {
    try insertAudit(db, [event])
  }
}
