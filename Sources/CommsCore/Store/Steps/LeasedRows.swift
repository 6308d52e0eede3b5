import Foundation

/// The rows a lease took, read as deliveries.
extension StoreTransaction {
  /// The deliveries of `rows` (`StoreRows.deliveryColumns`, just leased by
  /// `owner`). A row that cannot be read is quarantined (see
  /// `DeliveryTransition.quarantine`): dead, its error naming what was
  /// wrong, audited, and left out, so one damaged row does not stop every
  /// lease after it. Only a row without a readable id stops the lease.
  func leased(_ rows: [StoredRow], owner: String, at: Date) throws -> [Delivery] {
    var deliveries: [Delivery] = []
    deliveries.reserveCapacity(rows.count)
    for row in rows {
      do {
        deliveries.append(try StoreRows.delivery(from: row))
      } catch let error as StoreError {
        let id: String = try row[0]
        try quarantine(id, because: error, owner: owner, at: at)
      }
    }
    return deliveries
  }

  func quarantine(_ id: String, because error: StoreError, owner: String, at: Date)
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
