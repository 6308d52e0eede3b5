import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A datagram socket standing in for systemd's `NOTIFY_SOCKET`: it keeps
/// every message the daemon sends, in order.
final class NotifySocket: Sendable {
  let path: String
  private let descriptor: Int32
  private let received = Mutex<[String]>([])

  init(path: String) throws {
    self.path = path
    unlink(path)
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard fd >= 0, bound == 0 else { throw POSIXError(.EADDRINUSE) }
    descriptor = fd
    let thread = Thread { [self] in
      var buffer = [UInt8](repeating: 0, count: 4096)
      while true {
        let count = recv(fd, &buffer, buffer.count, 0)
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { return }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        self.received.withLock { $0.append(text) }
      }
    }
    thread.start()
  }

  /// Every message so far.
  var messages: [String] { received.withLock { $0 } }

  /// Every `KEY=value` line so far, in order.
  var lines: [String] { messages.flatMap { $0.split(separator: "\n").map(String.init) } }

  func close() {
    shutdown(descriptor, Int32(SHUT_RDWR))
    Glibc.close(descriptor)
    unlink(path)
  }
}
