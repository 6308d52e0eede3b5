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
      try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
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
          try Self.insertAccepted(db, message, fingerprint: fingerprint)
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
                  try Self.insertAccepted(db, item.message, fingerprint: item.fingerprint))
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

  /// The intake transaction's body: the message, its bulletin numbers and
  /// its `message.accepted` event (or the earlier message under the same key).
  static func insertAccepted(
    _ db: Database, _ message: Message, fingerprint: String
  ) throws -> AcceptOutcome {
    if let key = message.idempotencyKey,
      let row = try Row.fetchOne(
        db.cachedStatement(sql: "SELECT id, fingerprint FROM messages WHERE idempotency_key = ?"),
        arguments: [key])
    {
      let existing = MessageID(rawValue: row[0])
      guard (row[1] as String) == fingerprint else {
        throw StoreError.idempotencyConflict(key: key, existing: existing)
      }
      return .duplicate(existing)
    }
    if let old = message.supersedes { try checkSupersedable(db, old) }
    // Cached: parsing this statement anew was measurable at 2,000 intakes/s.
    try db.cachedStatement(
      sql: """
        INSERT INTO messages (id, idempotency_key, fingerprint, sender_kind, sender_name, sender_origin,
          audiences, priority, kind, contents, default_language, accepted_at, filter, supersedes,
          expires_at, mode, cap_sender, cap_identifier, cap_sent, retraction_of)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    ).execute(
      arguments: StatementArguments(StoreRows.storedValues(of: message, fingerprint: fingerprint)))
    let numbers = try Self.numberBulletins(db, message: message)
    try Self.insertAudit(db, .accepted(message, bulletins: numbers))
    return .accepted(message.id)
  }

  /// Takes the next bulletin number of each of the message's audiences, in
  /// the accepting transaction: numbers are gapless and follow the order of
  /// acceptance, whatever order the messages are planned in (flash first).
  static func numberBulletins(_ db: Database, message: Message) throws -> [String: Int] {
    let next = try db.cachedStatement(
      sql: """
        INSERT INTO bulletins (audience, last) VALUES (?, 1)
        ON CONFLICT (audience) DO UPDATE SET last = last + 1 RETURNING last
        """)
    let record = try db.cachedStatement(
      sql: "INSERT INTO message_bulletins (message_id, audience, number) VALUES (?, ?, ?)")
    var numbers: [String: Int] = [:]
    for audience in message.audiences {
      let number = try Int.fetchOne(next, arguments: [audience]) ?? 0
      try record.execute(arguments: [message.id.rawValue, audience, number])
      numbers[audience] = number
    }
    return numbers
  }

  public func unplannedMessages(limit: Int) async throws -> [Message] {
    try await pool.read { db in
      try Row.fetchAll(
        db,
        sql: """
          \(StoreRows.messageColumns) WHERE planned_at IS NULL
          ORDER BY CASE priority WHEN 'flash' THEN 0 WHEN 'urgent' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END,
            accepted_at, id
          LIMIT ?
          """,
        arguments: [limit]
      ).map(StoreRows.message(from:))
    }
  }

  public func message(_ id: MessageID) async throws -> Message? {
    try await pool.read { db in
      try Row.fetchOne(
        db, sql: "\(StoreRows.messageColumns) WHERE id = ?", arguments: [id.rawValue]
      )
      .map(StoreRows.message(from:))
    }
  }

  public func savePlan(_ plan: StreamedPlan, at: Date) async throws {
    await urgent.yield()
    try await pool.write { db in try Self.insertPlan(db, plan, at: at) }
  }

  /// The planning transaction's body: the deliveries as the plan makes them,
  /// with the bulletin numbers taken at acceptance, `planned_at`, and
  /// `message.planned`.
  static func insertPlan(_ db: Database, _ plan: StreamedPlan, at: Date) throws {
    let now = Timestamp.format(at)
    let updated = try db.cachedStatement(
      sql: """
        UPDATE messages SET planned_at = ? WHERE id = ? AND planned_at IS NULL
        RETURNING supersedes, cancelled_at
        """)
    // Nil: planned already (by an earlier run).
    guard let row = try Row.fetchOne(updated, arguments: [now, plan.messageID.rawValue]) else {
      return
    }
    let supersedes = (row[0] as String?).map(MessageID.init(rawValue:))
    if let cancelled: String = row[1] {
      // Cancelled before it was planned: nobody is to get it.
      try Self.insertAudit(
        db,
        AuditEvent(
          kind: "message.planned", at: at, messageID: plan.messageID, actor: "commsd",
          detail: ["deliveries": "0", "cancelled_at": cancelled]))
      return
    }
    // The bulletin numbers were taken when the message was accepted.
    let bulletins = try Row.fetchAll(
      db.cachedStatement(
        sql: "SELECT audience, number FROM message_bulletins WHERE message_id = ?"),
      arguments: [plan.messageID.rawValue]
    ).reduce(into: [String: Int]()) { $0[$1[0]] = $1[1] }
    var states: [String: Int] = [:]
    var holds: [String: Int] = [:]
    var count = 0
    let perAudience = try plan.produce { delivery in
      var delivery = delivery
      delivery.bulletin = bulletins[delivery.audience] ?? 0
      try Self.insertDelivery(db, delivery, now: now)
      states[delivery.state.rawValue, default: 0] += 1
      if let reason = delivery.holdReason { holds[reason.rawValue, default: 0] += 1 }
      count += 1
    }
    var detail = perAudience.reduce(into: [String: String]()) {
      $0["audience.\($1.key)"] = String($1.value)
    }
    for (audience, number) in bulletins { detail["bulletin.\(audience)"] = String(number) }
    detail["deliveries"] = String(count)
    for (state, count) in states { detail["state.\(state)"] = String(count) }
    for (reason, count) in holds { detail["held.\(reason)"] = String(count) }
    if let supersedes { detail["supersedes"] = supersedes.rawValue }
    try Self.insertAudit(
      db,
      AuditEvent(
        kind: "message.planned", at: at, messageID: plan.messageID, actor: "commsd",
        detail: detail))
    if supersedes != nil {
      try applySupersede(
        db, message: plan.messageID, predecessors: Self.predecessors(db, of: plan.messageID),
        at: at,
        fallback: at.addingTimeInterval(predecessorWait))
    }
  }

  /// How long a newer copy waits for its predecessor in flight at most
  /// (then it goes, unmarked): about a lease, after which a crashed
  /// daemon's leases are taken back anyway.
  static let predecessorWait: TimeInterval = 300

  static func insertDelivery(_ db: Database, _ delivery: Delivery, now: String) throws {
    let insert = try db.cachedStatement(
      sql: """
        INSERT INTO deliveries (id, message_id, recipient_id, recipient_name, audience, channel, endpoint,
          address, contact_index, contacts, bulletin, language, priority, lane, state, due_at,
          created_at, updated_at, hold_reason, updates_bulletin)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """)
    let endpoint: String? =
      if case .webhook(let name, _) = delivery.contact { name } else { nil }
    try insert.execute(arguments: [
      delivery.id.rawValue, delivery.messageID.rawValue, delivery.recipientID,
      delivery.recipientName, delivery.audience, delivery.channel.rawValue, endpoint,
      delivery.contact.address, delivery.contactIndex, Contact.json(delivery.contacts),
      delivery.bulletin, delivery.language, delivery.priority.rawValue, delivery.priority.lane,
      delivery.state.rawValue, Timestamp.format(delivery.dueAt), now, now,
      delivery.holdReason?.rawValue, delivery.updatesBulletin,
    ])
  }

  /// Writes `outcomes` in as few transactions as possible, but stops a
  /// transaction early when an intake is waiting for the writer (see
  /// `UrgentWrites`), commits what it has, lets the intake go, and goes on:
  /// a flash message waits for one outcome's worth of work, not a batch's.
  public func record(_ outcomes: [AttemptRecord], owner: String) async throws -> Int {
    var skipped = 0
    var rest = outcomes[...]
    while !rest.isEmpty {
      await urgent.yield()
      let part = rest
      let (done, partSkipped) = try await pool.write { db in
        try Self.record(part, owner: owner, in: db, until: { self.urgent.isWaiting })
      }
      skipped += partSkipped
      rest = rest.dropFirst(done)
    }
    return skipped
  }

  /// Writes outcomes from the start of `outcomes` until all are written or
  /// `stop()` says so (after at least one); returns how many were handled
  /// and how many of those were skipped (their lease no longer held).
  static func record(
    _ outcomes: ArraySlice<AttemptRecord>, owner: String, in db: Database,
    until stop: () -> Bool
  ) throws -> (done: Int, skipped: Int) {
    // A delivery withdrawn while in flight (superseded, cancelled,
    // expired) ends in that state unless this attempt delivered it.
    let update = try db.cachedStatement(
      sql: """
        UPDATE deliveries SET
          state = CASE WHEN withdrawn IS NOT NULL AND ?1 != 'delivered' THEN withdrawn ELSE ?1 END,
          due_at = CASE WHEN withdrawn IS NOT NULL THEN due_at ELSE COALESCE(?2, due_at) END,
          attempts = attempts + 1, lease_owner = NULL, lease_until = NULL, updated_at = ?3,
          last_status = ?4, last_error = ?5,
          delivered_at = CASE WHEN ?1 = 'delivered' THEN ?3 ELSE delivered_at END
        WHERE id = ?6 AND state = 'sending' AND lease_owner = ?7
        RETURNING COALESCE(withdrawn, '')
        """)
    var skipped = 0
    var done = 0
    for outcome in outcomes {
      if done > 0 && stop() { break }
      done += 1
      let at = Timestamp.format(outcome.at)
      // One text column: nil when the lease is no longer held, "" when not withdrawn.
      guard
        let mark = try String.fetchOne(
          update,
          arguments: [
            outcome.newState.rawValue, outcome.dueAt.map(Timestamp.format), at,
            outcome.statusCode == 0 ? nil : outcome.statusCode, outcome.error,
            outcome.deliveryID.rawValue, owner,
          ])
      else {
        skipped += 1
        continue
      }
      let withdrawn = mark.isEmpty ? nil : DeliveryState(rawValue: mark)
      var state = outcome.newState
      if let withdrawn, state != .delivered { state = withdrawn }
      try Self.insertAudit(db, .attempt(outcome, withdrawn: withdrawn, owner: owner))
      if state == .dead {
        try Self.fallBack(db, from: outcome, owner: owner)
      }
      if let withdrawn {
        let delivered = state == .delivered
        let bulletin = try Int.fetchOne(
          db, sql: "SELECT bulletin FROM deliveries WHERE id = ?",
          arguments: [outcome.deliveryID.rawValue])
        try Self.releaseWaiters(
          db, of: outcome.deliveryID.rawValue, delivered: delivered ? bulletin : nil,
          at: outcome.at)
        if delivered && withdrawn == .cancelled {
          try Self.addRetractionCopy(db, for: outcome.deliveryID, at: outcome.at)
        }
      }
    }
    return (done, skipped)
  }

  /// After a delivery died: a new delivery to the recipient's next contact,
  /// in the same transaction, or — with no contact left — the recipient is
  /// recorded as unreachable for this message.
  static func fallBack(_ db: Database, from outcome: AttemptRecord, owner: String) throws {
    guard
      let row = try Row.fetchOne(
        db.cachedStatement(
          sql: """
            SELECT \(StoreRows.deliveryColumns), contacts FROM deliveries WHERE id = ?
            """), arguments: [outcome.deliveryID.rawValue])
    else { return }
    let dead = try StoreRows.delivery(from: row)
    let contacts = try JSONCoding.decoder().decode(
      [Contact].self, from: Data((row[StoreRows.deliveryColumnCount] as String).utf8))
    guard let next = FallbackContact.next(after: dead, contacts: contacts, at: outcome.at) else {
      try insertAudit(
        db,
        FallbackContact.unreachable(dead, contacts: contacts.count, outcome: outcome, actor: owner))
      return
    }
    try insertDelivery(db, next, now: Timestamp.format(outcome.at))
    try insertAudit(db, FallbackContact.event(next, from: dead, at: outcome.at, actor: owner))
  }

  public func nextDueDate() async throws -> Date? {
    try await pool.read { db in
      let text = try String.fetchOne(
        db,
        sql: "SELECT MIN(due_at) FROM deliveries WHERE state IN ('ready', 'retrying', 'held')")
      return text.flatMap(Timestamp.parse)
    }
  }

  public func appendAudit(_ events: [AuditEvent]) async throws {
    try await pool.write { db in
      for event in events { try Self.insertAudit(db, event) }
    }
  }

  /// Appends `event` to the audit chain (see `AuditChain`): its sequence
  /// number and the previous event's hash are read in the same transaction,
  /// so concurrent writers (the daemon, a CLI command) chain in commit order.
  static func insertAudit(_ db: Database, _ event: AuditEvent) throws {
    let link = AuditChain.Link(event: event, after: try AuditHeads.head(in: db))
    let statement = try db.cachedStatement(
      sql: """
        INSERT INTO audit_events (seq, at, kind, message_id, delivery_id, actor, detail, prev_hash, hash,
          personal)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """)
    try statement.execute(arguments: [
      link.sequence, link.at, link.kind, link.messageID, link.deliveryID, link.actor, link.detail,
      link.previous, link.hash, link.personal,
    ])
    AuditHeads.advance(in: db, to: (link.sequence, link.hash))
  }
}
