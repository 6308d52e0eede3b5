import Foundation
import Synchronization

/// The dispatcher's conversations with the store about the deliveries it
/// holds: leasing them, renewing their leases while they wait, giving back
/// what a paused target cannot take, and ending what was withdrawn.
extension Dispatcher {
  func settle(_ items: [(DeliveryID, DeliveryState)]) async {
    do {
      try await store.settleWithdrawn(items, owner: owner, at: clock.now())
    } catch {
      logger.error(
        "cannot end withdrawn deliveries; their leases expire instead",
        metadata: ["error": "\(error)"])
    }
  }

  func lease(limit: Int, excluding blocked: Set<String>) async -> [Delivery] {
    let now = clock.now()
    var excluded = LeaseExclusion()
    for target in blocked {
      if target.hasPrefix("endpoint:") { excluded.endpoints.insert(String(target.dropFirst(9))) }
      if target.hasPrefix("relay:") { excluded.email = true }
    }
    let until = now.addingTimeInterval(settings.leaseDuration.seconds)
    do {
      return try await store.lease(
        owner: owner, now: now, until: until, limit: limit, excluding: excluded)
    } catch {
      errors.error("cannot lease deliveries", error)
      leasesInDoubt.withLock { range in
        range = range.map { min($0.lowerBound, until)...max($0.upperBound, until) } ?? until...until
      }
      return []
    }
  }

  /// After a lease that failed, gives back what it may have leased all the
  /// same: a commit whose answer was lost (the connection broke during it,
  /// as when the primary dies) leaves deliveries leased to this node that
  /// it never held, and they would wait a whole lease (`[dispatch] lease`,
  /// five minutes by default) for another turn. Returns whether the store
  /// answered (if not, it is tried on the next turn).
  ///
  /// Only leases ending when a failed lease's would are looked at (a flash
  /// delivery leased by this node's intake ends later), and whatever this
  /// node holds is kept. Called on the dispatcher's loop, where leases are
  /// taken: none of its own can appear between the store's answer and the
  /// list of what it holds, made after that answer.
  func returnUnconfirmedLeases(_ until: ClosedRange<Date>, holding buffer: [Pending]) async
    -> Bool
  {
    do {
      let leased = try await store.leased(to: owner, until: until)
      let unconfirmed = leased.subtracting(held(buffer).all)
      guard !unconfirmed.isEmpty else { return true }
      try await store.returnUnconfirmed(Array(unconfirmed), owner: owner, at: clock.now())
      logger.notice(
        "deliveries leased by a commit whose answer was lost are given back to the queue",
        metadata: ["count": "\(unconfirmed.count)"])
      return true
    } catch {
      errors.error("cannot look for leases whose answer was lost", error)
      return false
    }
  }

  /// Renews the leases of everything this dispatcher holds — `buffer`, the
  /// transfers in flight, and the finished ones whose outcome the recorder
  /// has not written yet — once half a lease has passed since the last
  /// renewal, in one store statement. Every delivery held was leased or
  /// renewed at most half a lease ago, so none runs out while held.
  ///
  /// Returns `buffer` without the deliveries whose lease was not renewed:
  /// they are no longer this node's (the lease ran out and it was taken
  /// back, maybe by another node, or the delivery ended), so they are not
  /// sent here. A transfer already in flight cannot be called back; it is
  /// logged. When the store cannot be reached, the buffer is kept and the
  /// renewal tried again a second later.
  func renewLeasesIfDue(_ buffer: [Pending], lastRenewal: inout Date) async -> [Pending] {
    let now = clock.now()
    let lease = settings.leaseDuration.seconds
    guard now.timeIntervalSince(lastRenewal) >= lease / 2 else { return buffer }
    let (running, all) = held(buffer)
    guard !all.isEmpty else {
      lastRenewal = now
      return buffer
    }
    let renewed: Set<DeliveryID>
    do {
      renewed = try await store.renewLeases(
        Array(all), owner: owner, until: now.addingTimeInterval(lease), at: now)
    } catch {
      errors.error("cannot renew the leases of deliveries waiting to be sent", error)
      lastRenewal = now.addingTimeInterval(1 - lease / 2)
      return buffer
    }
    lastRenewal = now
    // In flight and finished since the statement ran: its lease ended with it.
    let lostInFlight = running.subtracting(renewed).intersection(inFlight.withLock { $0.ids })
    if !lostInFlight.isEmpty {
      logger.warning(
        "leases of transfers in flight were lost; another node may send them too",
        metadata: ["count": "\(lostInFlight.count)"])
    }
    let kept = buffer.filter { renewed.contains($0.delivery.id) }
    if kept.count < buffer.count {
      logger.notice(
        "leases of waiting deliveries were lost to another node; they are not sent here",
        metadata: ["count": "\(buffer.count - kept.count)"])
    }
    return kept
  }

  /// What this node holds leases on: `buffer`, the deliveries handed in
  /// and not yet in it, the transfers in flight (`running`), and the
  /// finished ones whose outcome the recorder has not written yet. In
  /// flight first: a finished transfer is queued at the recorder before it
  /// leaves `inFlight`, so none slips between the two.
  func held(_ buffer: [Pending]) -> (running: Set<DeliveryID>, all: Set<DeliveryID>) {
    let running = inFlight.withLock { $0.ids }
    var all = running.union(recorder.unwritten)
    all.formUnion(buffer.map(\.delivery.id))
    all.formUnion(handedIn.withLock { $0.map(\.id) })
    return (running, all)
  }

  /// Gives deliveries of a paused endpoint (or an open breaker) back to the
  /// store until it may be tried, without counting an attempt.
  func postpone(_ items: [(DeliveryID, Date)]) async {
    do {
      try await store.postpone(items, owner: owner, at: clock.now())
    } catch {
      logger.error(
        "cannot postpone deliveries; their leases expire instead", metadata: ["error": "\(error)"])
    }
  }

  /// Gives leased, unstarted deliveries back to the queue at shutdown, so
  /// the next start (or another node) sends them without waiting for the lease.
  func release(_ deliveries: [Delivery]) async {
    guard !deliveries.isEmpty else { return }
    do {
      try await store.release(deliveries.map(\.id), owner: owner, at: clock.now())
    } catch {
      logger.error(
        "cannot return unstarted deliveries; their leases expire instead",
        metadata: ["error": "\(error)", "count": "\(deliveries.count)"])
    }
  }
}
