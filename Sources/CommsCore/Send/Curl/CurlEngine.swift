import CCurl
import Foundation

/// One curl multi handle driven on its own thread; any task may await
/// transfers on it.
///
/// Every libcurl call happens on that thread. `perform` only puts the request
/// into a lock-protected inbox and wakes the thread with `curl_multi_wakeup`;
/// the thread runs many transfers at once and resumes each caller when its
/// transfer ends. Connections are kept alive and reused through the multi
/// handle's cache (SMTP: one cache per TLS setting, see
/// `SMTPConnectionPools`).
///
/// Every transfer ends: by completing, by its own timeout, or by the
/// awaiting task's cancellation (`curlCode` 42). Call `shutdown()` before
/// dropping the engine to wait for in-flight work; dropping it without
/// shutdown stops the thread once its transfers end, without waiting.
public final class CurlEngine: Sendable {
  private let inbox = CurlInbox()
  private let counters = CurlCounters()

  /// - Parameters:
  ///   - maxConnections: the most connections open at once, and the size of
  ///     the cache of idle ones kept for reuse. Up to twice as many transfers
  ///     are handed to libcurl at a time; the rest queue in order.
  ///   - urgentPrecedence: how long an urgent transfer, or a hold
  ///     (`holdingNonUrgent`), keeps the non-urgent transfers waiting in
  ///     lanes from starting, at most (see `UrgentPrecedence`).
  public init(maxConnections: Int = 64, urgentPrecedence: Duration = .milliseconds(100)) {
    let inbox = self.inbox
    let counters = self.counters
    let connections = max(1, maxConnections)
    let thread = Thread {
      Thread.current.name = "commsd-curl"  // shows in top -H and gdb
      CurlMultiLoop(
        inbox: inbox, maxConnections: connections, counters: counters,
        precedence: UrgentPrecedence(bound: urgentPrecedence)
      ).run()
    }
    thread.start()
  }

  deinit {
    inbox.requestStop(nil)
  }

  /// Easy handles made so far: handles are kept between transfers, so this
  /// stays at about the most transfers that ran at once.
  public var easyHandlesMade: Int { counters.easyHandlesMade.load(ordering: .relaxed) }

  /// Runs one transfer to its end. Never throws: every failure, including a
  /// shut-down engine (`curlCode` 2) or cancellation (42), is a response.
  public func perform(_ request: CurlRequest) async -> CurlResponse {
    let started = ContinuousClock.now
    let id = inbox.makeID()
    let inbox = self.inbox
    return await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        inbox.submit(
          PendingTransfer(
            id: id, request: request, complete: { continuation.resume(returning: $0) },
            started: started))
      }
    } onCancel: {
      inbox.cancel(id)
    }
  }

  /// Starts transfers without awaiting them, with one wakeup for the whole
  /// batch: the way a dispatcher feeds hundreds of transfers a second
  /// without a task and a thread hop for each. Each completion runs on the
  /// engine thread when its transfer ends (or at once if the engine is shut
  /// down); it must be quick and must not call the engine. A transfer in a
  /// lane waits for room in it (see `TransferLane`).
  public func start(_ orders: [TransferOrder]) {
    guard !orders.isEmpty else { return }
    let started = ContinuousClock.now
    inbox.submit(
      all: orders.map {
        PendingTransfer(
          id: inbox.makeID(), request: $0.request, complete: $0.completion, started: started,
          lane: $0.lane, urgent: $0.urgent, tag: $0.tag)
      })
  }

  /// Runs `body` with the non-urgent transfers waiting in lanes held: none
  /// of them starts until it returns, or for at most the engine's
  /// `urgentPrecedence`. For the acceptance of a flash message, so that the
  /// bulk already running drains while it is stored, and its transfers
  /// (urgent) then find the machine free.
  public func holdingNonUrgent<T>(_ body: () async throws -> T) async rethrows -> T {
    inbox.hold()
    defer { inbox.release() }
    return try await body()
  }

  /// Ends every transfer tagged with one of `tags` that has not started
  /// (queued, or waiting for room in its lane) with a response marked
  /// `unstarted` `.withdrawn`; those already running go on. For a message
  /// withdrawn while some of its transfers wait: they are not sent.
  public func withdrawWaiting(tagged tags: Set<String>) {
    guard !tags.isEmpty else { return }
    inbox.withdraw(tags)
  }

  /// Stops taking new transfers, lets those already given to the engine end
  /// (each is bounded by its timeout), then stops the thread and frees the
  /// multi handle. Later `perform` calls fail at once.
  public func shutdown() async {
    await withCheckedContinuation { continuation in
      inbox.requestStop(continuation)
    }
  }
}
