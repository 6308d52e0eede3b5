import Foundation

/// The third stage: decides *when* each delivery may go.
///
/// For now every delivery is sent at once ("send now"); quiet hours, caps and
/// digests will hold deliveries here with a reason and a release time.
public struct Dosing: Sendable {
  public init() {}

  /// Moves a freshly planned (`queued`) delivery to `ready` or `held`.
  public func place(_ delivery: inout Delivery, for recipient: Recipient, now: Date) {
    // queued → ready is always legal; the assertion guards future edits.
    delivery.state = (try? delivery.state.moving(to: .ready)) ?? delivery.state
    delivery.dueAt = now
  }
}
