import Foundation

/// The rows a lease took, read as deliveries.
extension StoreTransaction {
  /// The deliveries of the rows `next()` reads (`StoreRows.deliveryColumns`,
  /// just leased by `owner`), until it returns nil. A row that cannot be
  /// read is quarantined (see `DeliveryTransition.quarantine`): dead, its
  /// error naming what was wrong, audited, and left out, so one damaged row
  /// does not stop every lease after it. Only a row without a readable id
  /// stops the lease. Quarantines are written after the last row is read:
  /// SQLite's rows are read in place from the leasing statement itself
  /// (`CursorRow`), which must be done before another statement writes.
  func leased<Row: TableRow>(reading next: () throws -> Row?, owner: String, at: Date) throws
    -> [Delivery]
  {
    var deliveries: [Delivery] = []
    var damaged: [(id: String, error: StoreError)] = []
    while let row = try next() {
      do {
        deliveries.append(try StoreRows.delivery(from: row))
      } catch let error as StoreError {
        damaged.append((try row[0], error))
      }
    }
    for row in damaged {
      try quarantine(row.id, because: row.error, owner: owner, at: at)
    }
    return deliveries
  }

  /// The deliveries of `rows`, as `leased(reading:owner:at:)` reads them.
  func leased(_ rows: [StoredRow], owner: String, at: Date) throws -> [Delivery] {
    var remaining = rows.makeIterator()
    return try leased(reading: { remaining.next() }, owner: owner, at: at)
  }

  private func quarantine(_ id: String, because error: StoreError, owner: String, at: Date)
    throws
  {
    let transition = DeliveryTransition.quarantine
    let reason = "the store cannot read this delivery: \(error)"
    try execute(
      """
      UPDATE deliveries SET state = 'dead', lease_owner = NULL, lease_until = NULL,
        updated_at = ?, last_error = ?
      WHERE id = ? AND \(transition.condition())
      """, [Timestamp.format(at), reason, id])
    try audit(
      AuditEvent(
        kind: transition.event, at: at, deliveryID: DeliveryID(rawValue: id), actor: owner,
        detail: ["reason": reason]))
  }
}
