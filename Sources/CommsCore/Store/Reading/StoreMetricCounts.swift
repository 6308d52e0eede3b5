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
