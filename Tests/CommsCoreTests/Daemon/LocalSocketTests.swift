import Foundation
import Synchronization
import Testing

@testable import CommsCore

#if canImport(Glibc)
  import Glibc
#endif

/// A datagram socket the test reads, standing in for systemd's notify socket.
final class DatagramInbox: Sendable {
  let path: String
  let fd: Int32

  init() throws {
    path =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("commsd-dg-\(UUID().uuidString.prefix(8))").path
    fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0, UnixSocketAddress.with(path, { bind(fd, $0, $1) }) == 0 else {
      throw LocalSocketError.cannotOpen(path, errno)
    }
  }

  /// The datagrams that arrived so far, without waiting.
  func drain() -> [String] {
    var messages: [String] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
      guard count > 0 else { return messages }
      messages.append(String(decoding: buffer[..<count], as: UTF8.self))
    }
  }

  func close() {
    Glibc.close(fd)
    unlink(path)
  }
}

/// The daemon's local sockets and the watchdog, with no way for a local
/// client or a slow store to stop them.
@Suite struct LocalSocketTests {
  @Test func aZeroLengthDatagramDoesNotStopTheWakeSocket() async throws {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("commsd-wake-\(UUID().uuidString.prefix(8))").path
    let doorbell = Doorbell()
    let wake = try WakeSocket(path: path, doorbell: doorbell)
    defer { wake.close() }
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    defer { Glibc.close(fd) }
    var byte: UInt8 = 0
    let sent = UnixSocketAddress.with(path) { sendto(fd, &byte, 0, 0, $0, $1) }
    #expect(sent == 0)
    try await Task.sleep(for: .milliseconds(100))  // let the wake thread read it
    await doorbell.wait(timeout: .milliseconds(10))  // whatever that rang is spent
    WakeSocket.ring(path: path)
    let start = ContinuousClock.now
    await doorbell.wait(timeout: .seconds(5))
    #expect(ContinuousClock.now - start < .seconds(4), "the wake socket no longer rings")
  }

  @Test func watchdogPingsKeepComingWhileTheStoreIsBlocked() async throws {
    let inbox = try DatagramInbox()
    defer { inbox.close() }
    let notifier = SystemdNotifier(environment: [
      "NOTIFY_SOCKET": inbox.path, "WATCHDOG_USEC": "200000",
    ])
    let (release, released) = AsyncStream<Void>.makeStream()
    defer { released.finish() }
    let queries = Atomic<Int>(0)
    var heartbeat = ServiceHeartbeat(notifier: notifier) {
      queries.add(1, ordering: .relaxed)
      for await _ in release {}  // the store does not answer until the test ends
      return "queued 0, held 0, in flight 0"
    }
    heartbeat.statusEvery = .milliseconds(200)
    heartbeat.statusBound = .milliseconds(300)
    let beats = Task { await heartbeat.run() }
    var messages: [String] = []
    for _ in 0..<30 {  // 1.5 s, read as systemd would
      try await Task.sleep(for: .milliseconds(50))
      messages += inbox.drain()
    }
    beats.cancel()
    await beats.value
    let pings = messages.filter { $0.contains("WATCHDOG=1") }
    // 100 ms apart for 1.5 s: about 15; the store blocked all the while.
    #expect(pings.count >= 8, "\(messages)")
    #expect(messages.contains { $0.contains("STATUS=running; the store has not answered") })
    #expect(
      queries.load(ordering: .relaxed) == 1, "a blocked store gets one query, not one per tick")
  }
}
