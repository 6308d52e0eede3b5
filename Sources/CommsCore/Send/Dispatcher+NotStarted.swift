import Foundation
import Synchronization

/// Transfers handed to the engine that wait in their target's lane (see
/// `DispatchSlots`) may end without starting:
/// - when their message is withdrawn meanwhile, the engine ends them, and
///   the loop settles them as it settles a withdrawn delivery it never
///   handed over, without counting an attempt (a transfer already running
///   goes on, as before: its record ends it in its withdrawn state unless
///   it was delivered);
/// - when a transfer before them in the lane fails, the engine hands them
///   back, and they join the buffer again: the loop then sees the target's
///   pause or open breaker before starting them, as it did before lanes.
extension Dispatcher {
  /// Reads new withdrawals, tells the engine to end what of those messages
  /// waits in a lane, and settles what the engine has ended so far.
  func withdrawNotStarted() async {
    let newly = await withdrawn.refresh(from: store)
    if !newly.isEmpty { engine.withdrawWaiting(tagged: Set(newly.map(\.rawValue))) }
    let ended = notStartedQueue.withLock { queue in
      defer { queue.removeAll() }
      return queue
    }
    guard !ended.isEmpty else { return }
    var settling: [(DeliveryID, DeliveryState)] = []
    var unknown: [Delivery] = []
    for delivery in ended {
      if let state = withdrawn[delivery.messageID] {
        settling.append((delivery.id, state))
      } else {
        unknown.append(delivery)  // forgotten since (a full log): the queue decides again
      }
    }
    if !settling.isEmpty { await settle(settling) }
    await release(unknown)
  }

  /// The completion of a transfer that ended without starting: on the curl
  /// thread, so it only frees the slot and queues the delivery for the loop.
  func notStarted(
    _ delivery: Delivery, target: Int, place: Int, because reason: CurlResponse.Unstarted
  ) {
    slots.withLock { _ = $0.free(target) }
    inFlight.withLock { $0.remove(at: place) }
    switch reason {
    case .withdrawn: notStartedQueue.withLock { $0.append(delivery) }
    case .laneStopped: handedIn.withLock { $0.append(delivery) }
    }
    doorbell.ring()
  }
}
