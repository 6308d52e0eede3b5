import Foundation
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A Unix datagram socket in the data directory: `commsd send` drops a byte
/// into it after its commit, so the daemon plans at once instead of at the
/// next poll. Best effort only — the poll is the guarantee.
public final class WakeSocket: Service {
  let path: String
  let descriptor: Int32
  private let closed = Atomic<Bool>(false)

  /// Binds the socket (replacing a stale one) and rings `doorbell` on every datagram.
  public init(path: String, doorbell: Doorbell) throws {
    self.path = path
    unlink(path)
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { throw LocalSocketError.cannotOpen(path, errno) }
    guard UnixSocketAddress.with(path, { bind(fd, $0, $1) }) == 0 else {
      let code = errno
      Glibc.close(fd)
      throw LocalSocketError.cannotOpen(path, code)
    }
    descriptor = fd
    let thread = Thread {
      var buffer = [UInt8](repeating: 0, count: 16)
      while true {
        let count = recv(fd, &buffer, buffer.count, 0)
        // Only `close()` ends the loop: a datagram of zero bytes also reads
        // as 0, and any local process may send one.
        if self.closed.load(ordering: .relaxed) { return }
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

  /// Listens until its turn to stop (or cancellation), then closes. The
  /// socket is bound, and rings, from construction on.
  public func run() async {
    try? await gracefulShutdown()
    close()
  }

  /// Stops listening and removes the socket file.
  public func close() {
    guard !closed.exchange(true, ordering: .relaxed) else { return }
    unlink(path)
    shutdown(descriptor, Int32(SHUT_RDWR))
    Glibc.close(descriptor)
  }

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
