/// The store's figures for `/metrics` and the dashboard.
public struct StoreMetricCounts: Sendable {
  /// Deliveries by state, channel, endpoint ("" for email) and audience.
  public var deliveries:
    [(state: String, channel: String, endpoint: String, audience: String, count: Int)] = []
  /// Deliveries waiting to be sent, by priority lane.
  public var queueByLane: [Int: Int] = [:]
  /// Held deliveries by reason.
  public var heldByReason: [String: Int] = [:]
  /// Messages accepted and not yet planned into deliveries, by priority
  /// (not counting scheduled ones, nor those waiting for an approval): a
  /// planner that falls behind shows here, before any of their deliveries
  /// exists to be counted above.
  public var unplannedByPriority: [Priority: Int] = [:]

  /// All of `unplannedByPriority`.
  public var unplanned: Int { unplannedByPriority.values.reduce(0, +) }
}
