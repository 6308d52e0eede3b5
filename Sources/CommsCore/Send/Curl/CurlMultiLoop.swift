import CCurl

/// Drives one multi handle on the engine's thread: the only code that calls
/// libcurl (apart from `curl_multi_wakeup`).
///
/// Each turn: take new work and cancellations from the inbox, add easy
/// handles, let libcurl run (`curl_multi_perform`), answer finished transfers
/// (`curl_multi_info_read`), then sleep in `curl_multi_poll` until a socket,
/// a libcurl timer or a wakeup from the inbox needs attention.
final class CurlMultiLoop {
  private let inbox: CurlInbox
  private let maxConnections: Int
  /// Transfers handed to libcurl at once. More than the connection limit
  /// keeps connections busy; far more only makes libcurl slower (measured
  /// here: thousands of queued handles halved the rate), so the rest wait in
  /// the inbox.
  private let maxActive: Int
  private var active: [UInt64: CurlTransfer] = [:]
  /// Each lane in use: its transfers running and those waiting for room,
  /// in order (see `TransferLane`). A lane with neither is forgotten.
  private var lanes: [UInt64: Lane] = [:]
  private var waitingInLanes = 0
  /// Flash first across lanes (see `UrgentPrecedence`), and whether it
  /// holds the non-urgent transfers in lanes now: worked out after each
  /// turn's new work is admitted, and when an urgent transfer starts or ends.
  private var precedence: UrgentPrecedence
  private var nonUrgentHeld = false
  private let smtpPools = SMTPConnectionPools()
  private let handles: CurlHandles

  init(
    inbox: CurlInbox, maxConnections: Int, counters: CurlCounters, precedence: UrgentPrecedence
  ) {
    self.inbox = inbox
    self.precedence = precedence
    self.maxConnections = maxConnections
    self.maxActive = 2 * maxConnections
    // As many idle handles as can run at once: a steady stream of transfers
    // never makes a new one.
    self.handles = CurlHandles(limit: maxActive, counters: counters)
  }

  func run() {
    guard CurlGlobal.ensureInitialized(), let multi = ccurl_multi_init() else {
      stop(multi: nil, reason: CurlGlobal.unavailable ?? "libcurl could not make a multi handle")
      return
    }
    _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxConnections)
    _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxConnections)
    inbox.attach(CurlWakeHandle(multi: multi))
    drive(multi)
    stop(multi: multi, reason: "the curl engine is shut down")
  }

  private func drive(_ multi: UnsafeMutableRawPointer) {
    while true {
      let batch = inbox.take(limit: maxActive - active.count - waitingInLanes)
      for work in batch.cancelledBeforeStart {
        work.complete(work.failure(CURLE_ABORTED_BY_CALLBACK, "cancelled before it started"))
      }
      for work in batch.withdrawnBeforeStart {
        work.complete(work.unstarted(.withdrawn))
      }
      if !batch.withdrawnTags.isEmpty {
        for work in takeWaiting(where: { $0.tag.map(batch.withdrawnTags.contains) ?? false }) {
          work.complete(work.unstarted(.withdrawn))
        }
      }
      // Without flash (nothing held, no hold, none urgent) the turn does
      // nothing more than before.
      if nonUrgentHeld || batch.holdSince != nil {
        // A hold begun since the last turn holds the new work too; one that
        // ended is let go only below, after the new work is admitted.
        precedence.holds(since: batch.holdSince)
        if !nonUrgentHeld { nonUrgentHeld = precedence.holdsNonUrgent(at: .now) }
      }
      for work in batch.start {
        admit(work, on: multi)
      }
      // After the new work: a flash message's first transfers, handed over
      // as its intake's hold ends, take the precedence on from the hold.
      // (`nonUrgentHeld` only turns on above: by this turn's hold, or by an
      // urgent transfer just admitted.)
      if nonUrgentHeld || batch.holdSince != nil { updateHold(on: multi) }
      for id in batch.cancelledIDs {
        if let transfer = active[id] {
          finish(transfer, code: CURLE_ABORTED_BY_CALLBACK, message: "cancelled", on: multi)
        } else {
          for work in takeWaiting(where: { $0.id == id }) {
            work.complete(work.failure(CURLE_ABORTED_BY_CALLBACK, "cancelled before it started"))
          }
        }
      }
      if batch.stopping && active.isEmpty && waitingInLanes == 0 && !inbox.hasQueued {
        return
      }
      var running: Int32 = 0
      _ = ccurl_multi_perform(multi, &running)
      collectFinished(multi)
      if batch.stopping && active.isEmpty {
        continue  // the next turn returns, or starts what is still queued
      }
      // Returns early for socket activity, libcurl's own timers or a wakeup
      // (and, while the lanes are held, when the hold runs out).
      _ = ccurl_multi_poll(multi, nil, 0, pollTimeout(), nil)
    }
  }

  /// Starts `work`, or queues it in its lane until the lane has room.
  private func admit(_ work: PendingTransfer, on multi: UnsafeMutableRawPointer) {
    guard let lane = work.lane else {
      start(work, on: multi)
      return
    }
    // Changed in place (through the dictionary), here and in `fill`: a
    // copy of the lane taken out and put back copied its waiting array on
    // every change, 0.7 % of a webhook flood's CPU (issue 25).
    lanes[lane.id, default: Lane(limit: lane.limit)].enqueue(work)
    waitingInLanes += 1
    fill(lane.id, on: multi)
  }

  /// Starts the lane's waiting transfers while it has room.
  private func fill(_ id: UInt64, on multi: UnsafeMutableRawPointer) {
    while var work = lanes[id]?.takeNext(holdingNonUrgent: nonUrgentHeld) {
      waitingInLanes -= 1
      work.started = .now
      if !start(work, on: multi) { lanes[id]?.running -= 1 }
    }
    if lanes[id]?.isIdle == true { lanes[id] = nil }
  }

  /// Takes the transfers waiting in lanes (`ids`, or all) that `match`
  /// out of them.
  private func takeWaiting(
    in ids: [UInt64]? = nil, where match: (PendingTransfer) -> Bool
  ) -> [PendingTransfer] {
    var taken: [PendingTransfer] = []
    for id in ids ?? Array(lanes.keys) {
      guard var state = lanes[id], state.waiting.contains(where: match) else { continue }
      taken += state.waiting.filter(match)
      state.waiting.removeAll(where: match)
      lanes[id] = state.running == 0 && state.waiting.isEmpty ? nil : state
    }
    waitingInLanes -= taken.count
    return taken
  }

  /// Hands `work` to libcurl; false when it was answered at once instead
  /// (refused, or no handle).
  @discardableResult
  private func start(_ work: PendingTransfer, on multi: UnsafeMutableRawPointer) -> Bool {
    var share: UnsafeMutableRawPointer?
    if case .smtp(_, _, _, _, _, _, let tls) = work.request.payload {
      let request = work.request
      share = smtpPools.share(tls: tls, verifyTLS: request.verifyTLS, caFile: request.caFile)
      guard share != nil else {
        work.complete(
          work.failure(CURLE_OUT_OF_MEMORY, "could not create an SMTP connection cache"))
        return false
      }
    }
    guard let easy = handles.take(share: share) else {
      work.complete(work.failure(CURLE_FAILED_INIT, "curl_easy_init failed"))
      return false
    }
    switch CurlTransfer.make(work, easy: easy, connectionCache: share) {
    case .refused(let response):
      handles.give(easy, share: share)
      work.complete(response)
      return false
    case .ready(let transfer):
      let code = ccurl_multi_add_handle(multi, transfer.easy)
      guard code == CURLM_OK else {
        handles.give(easy, share: share)
        let reason = String(cString: ccurl_multi_strerror(code))
        work.complete(work.failure(CURLE_FAILED_INIT, "curl_multi_add_handle failed: \(reason)"))
        return false
      }
      active[work.id] = transfer
      if work.urgent {
        precedence.urgentStarted(at: .now)
        nonUrgentHeld = true
      }
      return true
    }
  }

  private func collectFinished(_ multi: UnsafeMutableRawPointer) {
    var left: Int32 = 0
    while let message = ccurl_multi_info_read(multi, &left) {
      // The message dies with curl_multi_remove_handle: copy it out first.
      guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else {
        continue
      }
      let code = message.pointee.data.result
      var context: UnsafeMutableRawPointer?
      _ = ccurl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &context)
      guard let context else { continue }
      let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
      finish(transfer, code: code, message: nil, on: multi)
    }
  }

  private func finish(
    _ transfer: CurlTransfer, code: CURLcode, message: String?, on multi: UnsafeMutableRawPointer
  ) {
    var response = transfer.response(for: code)
    if let message { response.errorMessage = message }
    _ = ccurl_multi_remove_handle(multi, transfer.easy)
    // Reset (or cleaned up), the handle no longer points into the
    // transfer's buffers, which its deinit frees once the last reference
    // goes at the end of this call.
    handles.give(transfer.easy, share: transfer.share)
    active[transfer.work.id] = nil
    transfer.work.complete(response)
    // The lane's next starts now, on the connection just freed; after a
    // failure its waiting ones go back first: a receiver that answered 429
    // or 503 may have asked for a pause, which they must not run into.
    if let lane = transfer.work.lane {
      lanes[lane.id]?.running -= 1
      if !Self.succeeded(response) {
        for work in takeWaiting(in: [lane.id], where: { _ in true }) {
          work.complete(work.unstarted(.laneStopped))
        }
      }
      fill(lane.id, on: multi)
    }
    // Last: a failed lane's waiting transfers were handed back above, and
    // must not be started by the end of a hold first.
    if transfer.work.urgent {
      precedence.urgentEnded()
      updateHold(on: multi)
    }
  }

  /// Whether the non-urgent transfers in lanes are held now; when a hold
  /// ends, starts what the lanes have room for.
  private func updateHold(on multi: UnsafeMutableRawPointer) {
    let held = precedence.until != nil && precedence.holdsNonUrgent(at: .now)
    guard nonUrgentHeld && !held else {
      nonUrgentHeld = held
      return
    }
    nonUrgentHeld = false
    for id in Array(lanes.keys) where lanes[id]?.waiting.isEmpty == false {
      fill(id, on: multi)
    }
  }

  /// How long `curl_multi_poll` may sleep, in ms: a second, or until the
  /// hold on the lanes runs out.
  private func pollTimeout() -> Int32 {
    guard nonUrgentHeld, let until = precedence.until else { return 1000 }
    // At least 1 ms (a hold already past wakes at once), rounded down: at
    // most one more turn finds the hold still in force.
    return Int32(clamping: min(1000, (until - .now).curlMilliseconds))
  }

  /// A transfer that went through: no libcurl error, and no HTTP status of
  /// 400 or more (SMTP refusals are libcurl errors).
  static func succeeded(_ response: CurlResponse) -> Bool {
    response.curlCode == 0 && response.statusCode < 400
  }

  private func stop(multi: UnsafeMutableRawPointer?, reason: String) {
    for work in takeWaiting(where: { _ in true }) + inbox.detach() {
      work.complete(work.failure(CURLE_FAILED_INIT, reason))
    }
    // No transfer is left; once the idle handles are gone, no easy handle
    // uses the shares, which are then free to close.
    handles.closeAll()
    smtpPools.closeAll()
    if let multi {
      _ = ccurl_multi_cleanup(multi)
    }
    for waiter in inbox.markStopped() {
      waiter.resume()
    }
  }
}

/// A lane's state on the engine thread.
private struct Lane {
  let limit: Int
  var running = 0
  /// Urgent ones first, each kind in the order they came.
  var waiting: [PendingTransfer] = []

  var isIdle: Bool { running == 0 && waiting.isEmpty }

  mutating func enqueue(_ work: PendingTransfer) {
    if work.urgent {
      waiting.insert(work, at: waiting.firstIndex { !$0.urgent } ?? waiting.count)
    } else {
      waiting.append(work)
    }
  }

  /// The next transfer to start, counted as running; nil when the lane is
  /// full or has none waiting, or while non-urgent ones are held and the
  /// first waiting is not urgent (urgent ones wait first: when the first is
  /// not, none is).
  mutating func takeNext(holdingNonUrgent: Bool) -> PendingTransfer? {
    guard running < limit, let first = waiting.first, !holdingNonUrgent || first.urgent else {
      return nil
    }
    running += 1
    return waiting.removeFirst()
  }
}
