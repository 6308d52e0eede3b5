/// How the daemon's dispatcher paces itself.
public struct DispatchSettings: Sendable, Equatable {
  /// Transfers in flight at once across all endpoints and relays. Field notes:
  /// libcurl multi is fastest with about 8–64 in flight on this class of machine.
  public var maxInFlight: Int
  /// How often the store is checked for new work when nothing woke the daemon.
  public var pollInterval: Duration
  /// How long a leased delivery belongs to this daemon before another may take it.
  public var leaseDuration: Duration
  /// Outcomes written per transaction at most (group commit).
  public var recordBatch: Int
  /// On stop, how long transfers in flight may take to finish; what is still
  /// running then keeps its lease and goes again after the restart
  /// (at-least-once). Keep it below systemd's `TimeoutStopSec`.
  public var stopTimeout: Duration = .seconds(20)

  public init(
    maxInFlight: Int = 64, pollInterval: Duration = .milliseconds(200),
    leaseDuration: Duration = .seconds(300), recordBatch: Int = 512
  ) {
    self.maxInFlight = maxInFlight
    self.pollInterval = pollInterval
    self.leaseDuration = leaseDuration
    self.recordBatch = recordBatch
  }
}
