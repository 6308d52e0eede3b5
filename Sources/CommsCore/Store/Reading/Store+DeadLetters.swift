import Foundation

/// Dead letters: deliveries that failed for good (`commsd dead list`).
extension Store {
  /// The newest dead deliveries (of one message, or of all), newest first.
  public func deadDeliveries(of message: MessageID? = nil, limit: Int) async throws
    -> [MessageStatus.DeliveryLine]
  {
    try await read { reader in
      try reader.rows(
        """
        SELECT \(StoreRows.lineColumns(reader)) FROM deliveries
        WHERE state = 'dead' AND (CAST(?1 AS TEXT) IS NULL OR message_id = ?1)
        ORDER BY updated_at DESC LIMIT ?2
        """, [message?.rawValue, limit]
      ).map(StoreRows.deliveryLine(from:))
    }
  }

}
