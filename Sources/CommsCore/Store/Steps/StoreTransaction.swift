import Foundation
import GRDB
import Synchronization

/// One write transaction on either store, for the steps both share.
///
/// The steps of the queue (accept and plan, what follows an outcome, withdraw
/// and supersede, cancel, digests, dead-letter retry) are written once against
/// it, as the shared reads are against `StoreReader`: SQL with `?` marks (or
/// `?1`, `?2` … for a value used twice) that SQLite and PostgreSQL both speak,
/// audit events, and the wake-ups of other nodes. What differs between the
/// stores stays with them: how a writer gets its turn (SQLite's one writer
/// with urgent intakes first, PostgreSQL's row locks and retries), leasing,
/// batching, and where the audit chain's head is taken (at once on SQLite, at
/// commit on PostgreSQL, see `PostgresTransaction`).
public struct StoreTransaction {
  enum Connection {
    case sqlite(Database)
    case postgres(PostgresTransaction)
  }
  let connection: Connection

  /// Whether a statement's text is the same on every call (prepared or
  /// cached once per connection) or varies with its input (an `IN (…)` list
  /// of a length that varies), which would only fill the caches.
  enum Shape {
    case fixed, varying
  }

  /// The rows of `sql` (an `UPDATE … RETURNING` too).
  @discardableResult
  func rows(
    _ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = [], shape: Shape = .fixed
  ) throws -> [StoredRow] {
    switch connection {
    case .sqlite(let db):
      let statement =
        shape == .fixed ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
      return try Row.fetchAll(statement, arguments: StatementArguments(arguments))
        .map(StoredRow.init)
    case .postgres(let transaction):
      return try transaction.query(
        StoreReader.numberedMarks(sql), arguments.map { $0.flatMap(StoreReader.parameter) },
        prepare: shape == .fixed)
    }
  }

  /// Runs `sql` for its effect.
  func execute(
    _ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = [], shape: Shape = .fixed
  ) throws {
    try rows(sql, arguments, shape: shape)
  }

  /// The first row of `sql`, if any.
  func row(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []) throws
    -> StoredRow?
  {
    try rows(sql, arguments).first
  }

  /// Appends `event` to the audit chain in this transaction.
  func audit(_ event: AuditEvent) throws {
    switch connection {
    case .sqlite(let db): try SQLiteStore.insertAudit(db, event)
    case .postgres(let transaction): transaction.audit(event)
    }
  }

  /// Wakes the other nodes listening on `channel` once this transaction
  /// commits. SQLite has one daemon, which its own doorbells wake.
  func notify(_ channel: PostgresChannel) {
    if case .postgres(let transaction) = connection { transaction.notify(channel) }
  }

  /// Records that `message` was withdrawn in `state`, for running daemons to
  /// drop it from what they hold (`Store.withdrawals(after:)`).
  func withdrew(_ message: MessageID, as state: DeliveryState, at: String) throws {
    switch connection {
    case .sqlite:
      try execute(
        "INSERT INTO withdrawals (message_id, state, at) VALUES (?, ?, ?)",
        [message.rawValue, state.rawValue, at])
    case .postgres(let transaction):
      // Numbered under the audit head at commit (see PostgresTransaction).
      transaction.withdrew(message, as: state, at: at)
    }
  }

  /// ` FOR UPDATE` on PostgreSQL: the rows read stay locked until the
  /// commit, so the same step on another node waits for this one. Nothing on
  /// SQLite, whose one writer already keeps every other out.
  var forUpdate: String {
    if case .postgres = connection { " FOR UPDATE" } else { "" }
  }

  /// ` FOR UPDATE SKIP LOCKED` on PostgreSQL: rows another node is working
  /// on are left to it. Nothing on SQLite.
  var forUpdateSkipLocked: String {
    if case .postgres = connection { " FOR UPDATE SKIP LOCKED" } else { "" }
  }

  /// The state of delivery `id`, or nil if there is none (or `id` names
  /// something else, such as a message).
  func state(ofDelivery id: String) throws -> DeliveryState? {
    guard let row = try row("SELECT state FROM deliveries WHERE id = ?", [id]) else { return nil }
    let text: String = try row[0]
    guard let state = DeliveryState(rawValue: text) else {
      throw StoreError.corrupt("delivery \(id) is in an unknown state \(text)")
    }
    return state
  }

  /// `?, ?, …` for `count` values.
  static func marks(_ count: Int) -> String {
    Array(repeating: "?", count: count).joined(separator: ", ")
  }

  /// `(?, ?), (?, ?), …` for `rows` rows of `columns` values: a multi-row
  /// VALUES list on SQLite. Made once per shape: every chunk of a plan's
  /// rows, outcomes and audit events asks for one (a few dozen shapes).
  static func marks(rows: Int, columns: Int) -> String {
    let shape = MarkShape(rows: rows, columns: columns)
    if let known = markLists.withLock({ $0[shape] }) { return known }
    let made = Array(repeating: "(\(marks(columns)))", count: rows).joined(separator: ", ")
    markLists.withLock { lists in
      if lists.count >= 1024 { lists.removeAll() }
      lists[shape] = made
    }
    return made
  }

  private struct MarkShape: Hashable {
    let rows: Int
    let columns: Int
  }
  private static let markLists = Mutex<[MarkShape: String]>([:])
}
