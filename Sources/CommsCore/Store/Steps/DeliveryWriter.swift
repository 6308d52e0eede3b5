import Foundation
import GRDB

/// Writes new deliveries (a plan, a fallback, a digest, a retraction's
/// copies) in one transaction, many rows per statement: PostgreSQL 500 (a
/// fan-out to 100,000 people would otherwise be 100,000 round trips inside
/// its transaction), SQLite `sqliteRowsPerStatement` (no round trip to save,
/// but a statement's binding and stepping cost about as much as the row;
/// issue 25). Call `finish()` before the transaction reads what it wrote.
struct DeliveryWriter {
  /// 20 values each: far below SQLite's 32,766 parameters.
  static let sqliteRowsPerStatement = 32
  /// The values of one row: `columns`, `values(of:now:)`.
  static let columnCount = 20
  private let transaction: StoreTransaction
  private var rows: DeliveryRows?
  /// SQLite: the values of the rows not written yet, `columnCount` each.
  private var pending: [(any DatabaseValueConvertible)?] = []

  init(_ transaction: StoreTransaction) {
    self.transaction = transaction
    if case .postgres = transaction.connection { rows = DeliveryRows() }
  }

  mutating func add(_ delivery: Delivery, now: String) throws {
    switch transaction.connection {
    case .sqlite(let db):
      pending += Self.values(of: delivery, now: now)
      if pending.count == Self.sqliteRowsPerStatement * Self.columnCount { try flush(db) }
    case .postgres(let postgres):
      try rows?.add(delivery, now: now, in: postgres)
    }
  }

  mutating func finish() throws {
    switch transaction.connection {
    case .sqlite(let db): try flush(db)
    case .postgres(let postgres): try rows?.flush(in: postgres)
    }
  }

  private mutating func flush(_ db: Database) throws {
    guard !pending.isEmpty else { return }
    let rows = StoreTransaction.marks(
      rows: pending.count / Self.columnCount, columns: Self.columnCount)
    try db.cachedStatement(sql: "INSERT INTO deliveries (\(Self.columns)) VALUES \(rows)")
      .execute(arguments: StatementArguments(pending))
    pending.removeAll(keepingCapacity: true)
  }

  /// Writes one delivery at once.
  static func insert(_ delivery: Delivery, now: String, in transaction: StoreTransaction) throws {
    var writer = DeliveryWriter(transaction)
    try writer.add(delivery, now: now)
    try writer.finish()
  }

  static let columns = """
    id, message_id, recipient_id, recipient_name, audience, channel, endpoint,
      address, contact_index, contacts, bulletin, language, priority, lane, state, due_at,
      created_at, updated_at, hold_reason, updates_bulletin
    """

  /// The values of `columns`, in their order.
  static func values(of delivery: Delivery, now: String) -> [(any DatabaseValueConvertible)?] {
    let endpoint: String? =
      if case .webhook(let name, _) = delivery.contact { name } else { nil }
    return [
      delivery.id.rawValue, delivery.messageID.rawValue, delivery.recipientID,
      delivery.recipientName, delivery.audience, delivery.channel.rawValue, endpoint,
      delivery.contact.address, delivery.contactIndex, Contact.json(delivery.contacts),
      delivery.bulletin, delivery.language, delivery.priority.rawValue, delivery.priority.lane,
      delivery.state.rawValue, Timestamp.format(delivery.dueAt), now, now,
      delivery.holdReason?.rawValue, delivery.updatesBulletin,
    ]
  }
}
