import Foundation

/// The third stage: decides *when* each delivery may go. Pure: the same
/// policy, time zone, clock reading and history give the same decision, so
/// dosing is tested with an injected clock and no sleeping.
public struct Dosing: Sendable {
  public init() {}

  /// When a delivery of `priority` to a person with `history` may go.
  public func decide(
    priority: Priority, policy: DosingPolicy, timeZone: TimeZone, now: Date,
    history: RecipientHistory
  ) -> DosingDecision {
    switch priority {
    case .flash:
      return .sendAt(now)
    case .urgent:
      if let quiet = policy.quietHours, !policy.urgentInQuietHours,
        quiet.contains(now, in: timeZone)
      {
        return .hold(.quietHours, until: quiet.end(after: now, in: timeZone))
      }
      return .sendAt(now)
    case .normal, .bulk:
      if policy.cap == nil, let slot = nextDigestSlot(policy, after: now, in: timeZone) {
        return .hold(.digest, until: slot)
      }
      var at = now
      var reason: HoldReason?
      // A cap below 1 counts as 1: it would otherwise index before the window and trap.
      if let cap = policy.cap.map({ max($0, 1) }), history.dosedInWindow.count >= cap {
        if let slot = nextDigestSlot(policy, after: now, in: timeZone) {
          return .hold(.capToDigest, until: slot)
        }
        // No digest: wait until the oldest message in the window leaves it. That
        // instant still has to keep the gap and quiet hours: across a
        // daylight-saving change, 24 h after 07:00 is 06:00 local.
        let oldest = history.dosedInWindow[history.dosedInWindow.count - cap]
        at = oldest.addingTimeInterval(policy.capWindow.seconds)
        reason = .cap
      }
      if let gap = policy.minimumGap, let last = history.lastMessageAt,
        last.addingTimeInterval(gap.seconds) > at
      {
        at = last.addingTimeInterval(gap.seconds)
        reason = .minimumGap
      }
      if let quiet = policy.quietHours, quiet.contains(at, in: timeZone) {
        at = quiet.end(after: at, in: timeZone)
        reason = .quietHours
      }
      return reason.map { .hold($0, until: at) } ?? .sendAt(now)
    }
  }

  /// The next digest slot after `date`, in the recipient's time zone.
  func nextDigestSlot(_ policy: DosingPolicy, after date: Date, in timeZone: TimeZone) -> Date? {
    policy.digestSlots.map { QuietHours.next(minuteOfDay: $0, after: date, in: timeZone) }.min()
  }

  /// Moves a freshly planned (`queued`) delivery to `ready` or `held`.
  public func place(
    _ delivery: inout Delivery, policy: DosingPolicy, timeZone: TimeZone, now: Date,
    history: RecipientHistory
  ) {
    switch decide(
      priority: delivery.priority, policy: policy, timeZone: timeZone, now: now, history: history)
    {
    case .sendAt(let date):
      delivery.state = .ready
      delivery.dueAt = date
      delivery.holdReason = nil
    case .hold(let reason, let until):
      delivery.state = .held
      delivery.dueAt = until
      delivery.holdReason = reason
    }
  }
}
