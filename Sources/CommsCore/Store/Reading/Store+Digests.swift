import Foundation

/// Held deliveries whose digest slot has come, read the same from either store.
extension Store {
  public func dueDigestItems(now: Date) async throws -> [Delivery] {
    try await read { reader in
      try reader.rows(
        """
        SELECT \(StoreRows.deliveryColumns), contacts FROM deliveries
        WHERE state = 'held' AND due_at <= ? AND hold_reason IN (?, ?)
        ORDER BY recipient_id, audience, bulletin
        """,
        [Timestamp.format(now), HoldReason.digest.rawValue, HoldReason.capToDigest.rawValue]
      ).map { row in
        var delivery = try StoreRows.delivery(from: row)
        delivery.contacts =
          (try? JSONCoding.decoder().decode(
            [Contact].self, from: Data((row[StoreRows.deliveryColumnCount] as String).utf8)))
          ?? [delivery.contact]
        return delivery
      }
    }
  }
}
