import Foundation
import GRDB

/// The store's figures for `/metrics`, read in one snapshot.
extension SQLiteStore {
  public typealias MetricCounts = StoreMetricCounts

  /// The counts. The first grouping reads every delivery (about 0.3 s per
  /// million on this machine, on a reader: writers are not held up); a
  /// scrape every 15–60 s is what it is made for.
  public func metricCounts() async throws -> StoreMetricCounts {
    try await pool.read { db in
      var counts = StoreMetricCounts()
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT state, channel, COALESCE(endpoint, ''), audience, COUNT(*) FROM deliveries
          GROUP BY 1, 2, 3, 4
          """)
      {
        counts.deliveries.append((row[0], row[1], row[2], row[3], row[4]))
      }
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT lane, COUNT(*) FROM deliveries WHERE state IN ('ready', 'retrying') GROUP BY lane
          """)
      {
        counts.queueByLane[row[0]] = row[1]
      }
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT COALESCE(hold_reason, 'unknown'), COUNT(*) FROM deliveries WHERE state = 'held'
          GROUP BY 1
          """)
      {
        counts.heldByReason[row[0]] = row[1]
      }
      return counts
    }
  }
}

/// The store's figures for `/metrics` and the dashboard.
public struct StoreMetricCounts: Sendable {
  /// Deliveries by state, channel, endpoint ("" for email) and audience.
  public var deliveries:
    [(state: String, channel: String, endpoint: String, audience: String, count: Int)] = []
  /// Deliveries waiting to be sent, by priority lane.
  public var queueByLane: [Int: Int] = [:]
  /// Held deliveries by reason.
  public var heldByReason: [String: Int] = [:]
}
