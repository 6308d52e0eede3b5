import Foundation
import ServiceLifecycle

#if canImport(Glibc)
  import Glibc
#endif

/// A Unix datagram socket in the data directory: `commsd send` drops a byte
/// into it after its commit, so the daemon plans at once instead of at the
/// next poll. Best effort only — the poll is the guarantee.
public final class WakeSocket: Service {
  let bound: BoundSocket

  /// Binds the socket (replacing a stale one) and rings `doorbell` on every datagram.
  public init(path: String, doorbell: Doorbell) throws {
    let bound = try BoundSocket(path: path, type: Int32(SOCK_DGRAM.rawValue))
    self.bound = bound
    let fd = bound.descriptor
    let thread = Thread {
      var buffer = [UInt8](repeating: 0, count: 16)
      while true {
        let count = recv(fd, &buffer, buffer.count, 0)
        // Only `close()` ends the loop: a datagram of zero bytes also reads
        // as 0, and any local process may send one.
        if bound.isClosed { return }
        if count < 0 {
          if errno != EINTR { Thread.sleep(forTimeInterval: 0.01) }  // never spin
          continue
        }
        doorbell.ring()
      }
    }
    thread.name = "commsd-wake"
    thread.start()
  }

  /// Rings until its turn to stop (see `BoundSocket.closeAtStop`).
  public func run() async { await bound.closeAtStop() }

  /// Stops listening and removes the socket file.
  public func close() { bound.close() }

  /// Wakes the daemon listening at `path`, if any. Never fails.
  public static func ring(path: String) {
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { return }
    defer { Glibc.close(fd) }
    var byte: UInt8 = 1
    _ = UnixSocketAddress.with(path) { address, length in
      sendto(fd, &byte, 1, Int32(MSG_DONTWAIT), address, length)
    }
  }
}
