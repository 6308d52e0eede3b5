import Foundation
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A Unix socket bound to a file in the data directory, for the daemon's
/// local sockets (wake, intake). Binding replaces a stale file of an earlier
/// run; closing, once, removes the file and wakes the thread blocked on the
/// socket, which then sees `isClosed`.
final class BoundSocket: Sendable {
  let path: String
  let descriptor: Int32
  private let closed = Atomic<Bool>(false)

  /// Binds a socket of `type` at `path`; `prepare` (mode, listen) answers 0
  /// when it succeeded, as the system calls do.
  init(path: String, type: Int32, prepare: (Int32) -> Int32 = { _ in 0 }) throws {
    unlink(path)
    let fd = socket(AF_UNIX, type, 0)
    guard fd >= 0 else { throw LocalSocketError.cannotOpen(path, errno) }
    guard UnixSocketAddress.with(path, { bind(fd, $0, $1) }) == 0, prepare(fd) == 0 else {
      let code = errno
      Glibc.close(fd)
      throw LocalSocketError.cannotOpen(path, code)
    }
    self.path = path
    descriptor = fd
  }

  var isClosed: Bool { closed.load(ordering: .relaxed) }

  func close() {
    guard !closed.exchange(true, ordering: .relaxed) else { return }
    unlink(path)
    shutdown(descriptor, Int32(SHUT_RDWR))
    Glibc.close(descriptor)
  }

  /// The socket's life as a service: it was bound, and is served, from its
  /// construction on (a path that cannot be bound stops the daemon's start);
  /// it closes at its turn to stop, or on cancellation.
  func closeAtStop() async {
    try? await gracefulShutdown()
    close()
  }
}
