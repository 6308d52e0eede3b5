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
  /// SQLite: the rows not written yet, with the time they were planned.
  private var pending: [(delivery: Delivery, now: String)] = []

  init(_ transaction: StoreTransaction) {
    self.transaction = transaction
    if case .postgres = transaction.connection { rows = DeliveryRows() }
  }

  mutating func add(_ delivery: Delivery, now: String) throws {
    switch transaction.connection {
    case .sqlite(let db):
      pending.append((delivery, now))
      if pending.count == Self.sqliteRowsPerStatement { try flush(db) }
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
    let rows = StoreTransaction.marks(rows: pending.count, columns: Self.columnCount)
    let insert = try db.cachedStatement(
      sql: "INSERT INTO deliveries (\(Self.columns)) VALUES \(rows)")
    var binder = SQLiteBinder(insert)
    for row in pending { Self.write(row.delivery, now: row.now, to: &binder) }
    try binder.run { try $0.execute() }
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
    var list = RowValueList()
    list.values.reserveCapacity(columnCount)
    write(delivery, now: now, to: &list)
    return list.values
  }

  /// Writes the values of `columns`, in their order, to `row`.
  static func write(_ delivery: Delivery, now: String, to row: inout some RowValues) {
    let endpoint: String? =
      if case .webhook(let name, _) = delivery.contact { name } else { nil }
    row.add(delivery.id.rawValue)
    row.add(delivery.messageID.rawValue)
    row.add(delivery.recipientID)
    row.add(delivery.recipientName)
    row.add(delivery.audience)
    row.add(delivery.channel.rawValue)
    row.add(endpoint)
    row.add(delivery.contact.address)
    row.add(delivery.contactIndex)
    row.add(Contact.json(delivery.contacts))
    row.add(delivery.bulletin)
    row.add(delivery.language)
    row.add(delivery.priority.rawValue)
    row.add(delivery.priority.lane)
    row.add(delivery.state.rawValue)
    row.add(Timestamp.format(delivery.dueAt))
    row.add(now)
    row.add(now)
    row.add(delivery.holdReason?.rawValue)
    row.add(delivery.updatesBulletin)
  }
}
