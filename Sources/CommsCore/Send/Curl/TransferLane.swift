import Synchronization

/// One receiver's share of the engine's connections: at most `limit` of the
/// transfers in a lane run at once. The others wait in the engine, in the
/// order they came (urgent ones first), and the next starts on the engine
/// thread the moment one of the lane's transfers ends.
///
/// That is what a lane is for (issue 25): the dispatcher hands an endpoint
/// or a relay a few transfers more than its concurrency, so a connection
/// that frees is used again at once instead of waiting for the dispatcher's
/// next turn. Behind a relay of concurrency 16 that wait left a connection
/// idle for a third of a millisecond between two emails, about a tenth of
/// the email rate. The concurrency itself is kept by the lane: a receiver
/// never sees more than `limit` of them at once.
public struct TransferLane: Sendable, Hashable {
  /// Unique in the process, so lanes of different users of one engine
  /// never mix.
  let id: UInt64
  /// Transfers of this lane running at once, at most (at least 1).
  public let limit: Int

  private static let lastID = Atomic<UInt64>(0)

  public init(limit: Int) {
    id = Self.lastID.add(1, ordering: .relaxed).newValue
    self.limit = max(1, limit)
  }
}

/// A transfer for `CurlEngine.start(_:)`: the request, the lane it runs in
/// (none: it starts as soon as the engine has room), whether it goes ahead
/// of its lane's waiting transfers, the tag `withdrawWaiting(tagged:)`
/// knows it by, and what to call with its outcome.
public struct TransferOrder: Sendable {
  public var request: CurlRequest
  public var lane: TransferLane?
  public var urgent: Bool
  public var tag: String?
  public var completion: @Sendable (CurlResponse) -> Void

  public init(
    _ request: CurlRequest, lane: TransferLane? = nil, urgent: Bool = false, tag: String? = nil,
    completion: @escaping @Sendable (CurlResponse) -> Void
  ) {
    self.request = request
    self.lane = lane
    self.urgent = urgent
    self.tag = tag
    self.completion = completion
  }
}
