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
  private let smtpPools = SMTPConnectionPools()
  private let handles: CurlHandles

  init(inbox: CurlInbox, maxConnections: Int, counters: CurlCounters) {
    self.inbox = inbox
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
      let batch = inbox.take(limit: maxActive - active.count)
      for work in batch.cancelledBeforeStart {
        work.complete(work.failure(CURLE_ABORTED_BY_CALLBACK, "cancelled before it started"))
      }
      for work in batch.start {
        start(work, on: multi)
      }
      for id in batch.cancelledIDs {
        if let transfer = active[id] {
          finish(transfer, code: CURLE_ABORTED_BY_CALLBACK, message: "cancelled", on: multi)
        }
      }
      if batch.stopping && active.isEmpty && !inbox.hasQueued {
        return
      }
      var running: Int32 = 0
      _ = ccurl_multi_perform(multi, &running)
      collectFinished(multi)
      if batch.stopping && active.isEmpty {
        continue  // the next turn returns, or starts what is still queued
      }
      // Returns early for socket activity, libcurl's own timers or a wakeup.
      _ = ccurl_multi_poll(multi, nil, 0, 1000, nil)
    }
  }

  private func start(_ work: PendingTransfer, on multi: UnsafeMutableRawPointer) {
    var share: UnsafeMutableRawPointer?
    if case .smtp(_, _, _, _, _, _, let tls) = work.request.payload {
      let request = work.request
      share = smtpPools.share(tls: tls, verifyTLS: request.verifyTLS, caFile: request.caFile)
      guard share != nil else {
        work.complete(
          work.failure(CURLE_OUT_OF_MEMORY, "could not create an SMTP connection cache"))
        return
      }
    }
    guard let easy = handles.take(share: share) else {
      work.complete(work.failure(CURLE_FAILED_INIT, "curl_easy_init failed"))
      return
    }
    switch CurlTransfer.make(work, easy: easy, connectionCache: share) {
    case .refused(let response):
      handles.give(easy, share: share)
      work.complete(response)
    case .ready(let transfer):
      let code = ccurl_multi_add_handle(multi, transfer.easy)
      guard code == CURLM_OK else {
        handles.give(easy, share: share)
        let reason = String(cString: ccurl_multi_strerror(code))
        work.complete(work.failure(CURLE_FAILED_INIT, "curl_multi_add_handle failed: \(reason)"))
        return
      }
      active[work.id] = transfer
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
  }

  private func stop(multi: UnsafeMutableRawPointer?, reason: String) {
    for work in inbox.detach() {
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
