import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Wakes this node when another commits something for it to do: `LISTEN`
/// on a connection of its own, on a thread of its own. A notification is
/// only a hint (the loops still look at the store on their poll interval),
/// so one lost while the connection is re-made costs a poll, not a message.
public final class PostgresListener: Sendable {
  private let stopping = Atomic<Bool>(false)
  private let done = DispatchSemaphore(value: 0)

  /// Starts listening; `onPlan` runs for new messages, `onWork` for new
  /// deliveries to send (on the listener's thread: keep them short).
  init(
    url: String, password: String?, onPlan: @escaping @Sendable () -> Void,
    onWork: @escaping @Sendable () -> Void
  ) {
    let thread = Thread { [self] in
      run(url: url, password: password, onPlan: onPlan, onWork: onWork)
      done.signal()
    }
    thread.name = "commsd-listen"
    thread.start()
  }

  /// Stops the thread and waits for it (at most one poll, half a second).
  public func stop() {
    stopping.store(true, ordering: .relaxed)
    done.wait()
  }

  private func run(
    url: String, password: String?, onPlan: @Sendable () -> Void, onWork: @Sendable () -> Void
  ) {
    while !stopping.load(ordering: .relaxed) {
      do {
        let connection = try PostgresConnection(url: url, password: password)
        for channel in PostgresChannel.allCases {
          try connection.execute("LISTEN \(channel.rawValue)")
        }
        while !stopping.load(ordering: .relaxed) {
          var descriptor = pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0)
          guard poll(&descriptor, 1, 500) >= 0 || errno == EINTR else { break }
          for channel in try connection.notifications() {
            switch PostgresChannel(rawValue: channel) {
            case .plan: onPlan()
            case .work: onWork()
            case nil: break
            }
          }
          if connection.isBroken { break }
        }
      } catch {
        // The server is away (a restart, a failover): try again shortly.
        for _ in 0..<10 where !stopping.load(ordering: .relaxed) { usleep(100_000) }
      }
    }
  }
}
