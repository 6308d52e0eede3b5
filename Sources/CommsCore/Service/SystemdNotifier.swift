import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Tells systemd how the daemon is doing, over the datagram socket named
/// by `NOTIFY_SOCKET` (the sd_notify protocol, without libsystemd):
/// `READY=1` once the store is open and the listeners are bound,
/// `WATCHDOG=1` at half of `WATCHDOG_USEC`, `STATUS=` with the queue, and
/// `STOPPING=1` when a stop begins. Without `NOTIFY_SOCKET` (not started by
/// systemd with `Type=notify`) every call does nothing.
public struct SystemdNotifier: Sendable {
  /// The socket path; a leading `@` names an abstract socket.
  public let socketPath: String?
  /// How often to send `WATCHDOG=1`: half the watchdog timeout, when the
  /// watchdog is on for this process.
  public let watchdogInterval: Duration?

  public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
    let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    socketPath = path
    var interval: Duration?
    if path != nil, let text = environment["WATCHDOG_USEC"], let micros = Int64(text), micros > 0 {
      // WATCHDOG_PID, when set, names the process the watchdog is for.
      let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
      if forUs { interval = .microseconds(micros / 2) }
    }
    watchdogInterval = interval
  }

  public var isActive: Bool { socketPath != nil }

  /// Sends `state` (newline-separated `KEY=value` lines). Best effort: a
  /// notification that cannot be sent is not worth stopping the daemon for.
  @discardableResult
  public func notify(_ state: String) -> Bool {
    guard let socketPath else { return false }
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    var bytes = Array(socketPath.utf8)
    let abstract = bytes.first == UInt8(ascii: "@")
    if abstract { bytes[0] = 0 }
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      if !abstract { raw[bytes.count] = 0 }
    }
    // An abstract name is exactly its bytes long; a path ends at its NUL.
    let length = socklen_t(
      MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
    let message = Array(state.utf8)
    let sent = withUnsafePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
        message.withUnsafeBytes { buffer in
          // Never blocks: a notify socket nobody reads must not hold a
          // thread of the daemon's (the watchdog task runs on the shared pool).
          sendto(
            fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT),
            socketAddress, length)
        }
      }
    }
    return sent == message.count
  }
}
