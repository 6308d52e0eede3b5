import Foundation
import GRDB

/// Writes new deliveries (a plan, a fallback, a digest, a retraction's
/// copies) in one transaction, as each store writes rows fastest: SQLite one
/// cached statement per row (no round trip to save), PostgreSQL many rows
/// per statement (a fan-out to 100,000 people would otherwise be 100,000
/// round trips inside its transaction). Call `finish()` before the
/// transaction reads what it wrote.
struct DeliveryWriter {
  private let transaction: StoreTransaction
  private var rows: DeliveryRows?

  init(_ transaction: StoreTransaction) {
    self.transaction = transaction
    if case .postgres = transaction.connection { rows = DeliveryRows() }
  }

  mutating func add(_ delivery: Delivery, now: String) throws {
    switch transaction.connection {
    case .sqlite(let db):
      try db.cachedStatement(sql: Self.insertOne).execute(
        arguments: StatementArguments(Self.values(of: delivery, now: now)))
    case .postgres(let postgres):
      try rows?.add(delivery, now: now, in: postgres)
    }
  }

  mutating func finish() throws {
    if case .postgres(let postgres) = transaction.connection { try rows?.flush(in: postgres) }
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

  /// One row's insert, made once: a plan adds 100,000 rows through it.
  private static let insertOne = """
    INSERT INTO deliveries (\(columns))
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
