import Foundation
import GRDB

/// Attempt outcomes and their audit events, written a chunk at a time: one
/// UPDATE for up to `outcomesPerStatement` deliveries and one INSERT for
/// their events. Per row, SQLite's own work (the row and its indexes) is the
/// same either way; what a chunk saves is the per-statement work around it
/// (binding, stepping, GRDB's argument and row values), which was measured
/// at about as much again as SQLite's (issue 25, `Benchmarks/NOTES.md`).
extension SQLiteStore {
  /// Outcomes per statement: 8 values each, far below SQLite's 32,766
  /// parameters, and small enough that an intake waiting for the writer
  /// (see `UrgentWrites`) waits for one chunk, well under a millisecond.
  static let outcomesPerStatement = 64
  /// Audit events per INSERT: 10 values each.
  static let eventsPerStatement = 64

  /// Writes `outcomes` in as few transactions as possible, but stops a
  /// transaction early when an intake is waiting for the writer (see
  /// `UrgentWrites`), commits what it has, lets the intake go, and goes on:
  /// a flash message waits for one chunk's worth of work, not a batch's.
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

  /// Writes outcomes from the start of `outcomes`, a chunk at a time, until
  /// all are written or `stop()` says so (after at least one chunk); returns
  /// how many were handled and how many of those were skipped (their lease
  /// no longer held).
  static func record(
    _ outcomes: ArraySlice<AttemptRecord>, owner: String, in db: Database,
    until stop: () -> Bool
  ) throws -> (done: Int, skipped: Int) {
    var skipped = 0
    var done = 0
    let transaction = StoreTransaction(connection: .sqlite(db))
    while done < outcomes.count {
      if done > 0 && stop() { break }
      let start = outcomes.startIndex + done
      let chunk = outcomes[start..<min(outcomes.endIndex, start + outcomesPerStatement)]
      done += chunk.count
      var written = try updateDeliveries(chunk, owner: owner, in: db)
      // Events in the outcomes' order; an outcome with steps of its own
      // (a fallback after a death, a withdrawn delivery's waiters) writes
      // the events before it first, so the chain keeps that order.
      var events: [AuditEvent] = []
      for outcome in chunk {
        // Nil when the lease is no longer held (or the id came twice).
        guard let row = written.removeValue(forKey: outcome.deliveryID.rawValue) else {
          skipped += 1
          continue
        }
        if row.withdrawn == nil && outcome.newState != .dead {
          events.append(.attempt(outcome, withdrawn: nil, owner: owner))
          continue
        }
        try insertAudit(db, events)
        events.removeAll(keepingCapacity: true)
        try transaction.recorded(
          outcome, withdrawn: row.withdrawn, bulletin: row.bulletin, owner: owner)
      }
      try insertAudit(db, events)
    }
    return (done, skipped)
  }

  /// Writes `chunk`'s outcomes to the deliveries this owner still leases:
  /// one UPDATE for those that set a new due time (a retry, or a receipt's
  /// deadline when sent), one for those that do not (delivered, dead). Returns, by delivery id, those written,
  /// with the delivery's withdrawal mark and bulletin.
  ///
  /// Two statements, because SQLite rewrites the entries of every index
  /// on a column the SET names, whether or not its value changes: with
  /// `due_at` in the SET of a delivered webhook, `deliveries_audience_due`
  /// and the other indexes on `due_at` were deleted from and inserted into
  /// for nothing (measured on 400,000 rows of one due time, 64 per
  /// statement: 5.5-6.0 µs a row with it, 2.3-2.7 µs without; issue 25).
  private static func updateDeliveries(
    _ chunk: ArraySlice<AttemptRecord>, owner: String, in db: Database
  ) throws -> [String: (withdrawn: DeliveryState?, bulletin: Int)] {
    let retries = chunk.filter { $0.dueAt != nil }
    guard !retries.isEmpty else { return try updateDeliveries(chunk, due: false, owner, db) }
    guard retries.count < chunk.count else {
      return try updateDeliveries(chunk, due: true, owner, db)
    }
    var written = try updateDeliveries(
      chunk.filter { $0.dueAt == nil }[...], due: false, owner, db)
    written.merge(try updateDeliveries(retries[...], due: true, owner, db)) { first, _ in first }
    return written
  }

  /// One UPDATE for `chunk`; `due`: whether it sets `due_at`.
  private static func updateDeliveries(
    _ chunk: ArraySlice<AttemptRecord>, due: Bool, _ owner: String, _ db: Database
  ) throws -> [String: (withdrawn: DeliveryState?, bulletin: Int)] {
    // o.column1…7: state, due_at, at, status, error, id, provider_ref.
    let rows = StoreTransaction.marks(rows: chunk.count, columns: 7)
    // A delivery withdrawn while in flight (superseded, cancelled,
    // expired) ends in that state unless this attempt delivered it, and
    // keeps its due time unless this attempt sent it.
    let dueAt =
      due
      ? """
      due_at = CASE WHEN withdrawn IS NOT NULL AND o.column1 != 'sent' THEN due_at
        ELSE COALESCE(o.column2, due_at) END,
      """ : ""
    let update = try db.cachedStatement(
      sql: """
        UPDATE deliveries SET
          state = CASE WHEN withdrawn IS NOT NULL AND o.column1 NOT IN ('delivered', 'sent')
            THEN withdrawn ELSE o.column1 END,
          \(dueAt)
          attempts = attempts + 1, lease_owner = NULL, lease_until = NULL,
          updated_at = o.column3, last_status = o.column4, last_error = o.column5,
          delivered_at = CASE WHEN o.column1 = 'delivered' THEN o.column3 ELSE delivered_at END,
          sent_at = CASE WHEN o.column1 = 'sent' THEN o.column3 ELSE sent_at END,
          provider_ref = COALESCE(o.column7, provider_ref)
        FROM (VALUES \(rows)) AS o
        WHERE deliveries.id = o.column6 AND \(DeliveryTransition.record.condition("deliveries.state"))
          AND deliveries.lease_owner = ?
        RETURNING deliveries.id, COALESCE(deliveries.withdrawn, ''), deliveries.bulletin
        """)
    var binder = SQLiteBinder(update)
    for outcome in chunk {
      binder.add(outcome.newState.rawValue)
      binder.add(outcome.dueAt)
      binder.add(outcome.at)
      binder.add(outcome.statusCode == 0 ? nil : outcome.statusCode)
      binder.add(outcome.error)
      binder.add(outcome.deliveryID.rawValue)
      binder.add(outcome.providerRef)
    }
    binder.add(owner)
    return try binder.run { update in
      var written: [String: (withdrawn: DeliveryState?, bulletin: Int)] = [:]
      written.reserveCapacity(chunk.count)
      let cursor = try Row.fetchCursor(update)
      while let row = try cursor.next() {
        let mark: String = row[1]
        written[row[0]] = (mark.isEmpty ? nil : DeliveryState(rawValue: mark), row[2])
      }
      return written
    }
  }

  /// Appends `events` to the audit chain (see `AuditChain`), in order, with
  /// one INSERT per `eventsPerStatement`: each event's sequence number and
  /// previous hash follow the head read in the same transaction, so
  /// concurrent writers (the daemon, a CLI command) chain in commit order.
  static func insertAudit(_ db: Database, _ events: [AuditEvent]) throws {
    guard !events.isEmpty else { return }
    var head = try AuditHeads.head(in: db)
    var start = 0
    while start < events.count {
      let chunk = events[start..<min(events.count, start + eventsPerStatement)]
      start += chunk.count
      let rows = StoreTransaction.marks(rows: chunk.count, columns: 10)
      let insert = try db.cachedStatement(
        sql: """
          INSERT INTO audit_events (seq, at, kind, message_id, delivery_id, actor, detail, prev_hash,
            hash, personal)
          VALUES \(rows)
          """)
      var binder = SQLiteBinder(insert)
      for event in chunk {
        let link = AuditChain.Link(event: event, after: head)
        binder.add(link.sequence)
        binder.add(link.at)
        binder.add(link.kind)
        binder.add(link.messageID)
        binder.add(link.deliveryID)
        binder.add(link.actor)
        binder.add(link.detail)
        binder.add(link.previous)
        binder.add(link.hash)
        binder.add(link.personal)
        head = (link.sequence, link.hash)
      }
      try binder.run { try $0.execute() }
      AuditHeads.advance(in: db, to: head)
    }
  }
}
