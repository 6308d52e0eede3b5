import CommsCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Plain sockets for tests that play a misbehaving client: idle TCP
/// connections, slow-drip writers, raw HTTP. Loopback only; every socket is
/// closed by the test that opened it.
enum RawSockets {
  /// Raises this process's soft descriptor limit to at least `count` (up to the hard limit).
  static func raiseDescriptorLimit(to count: Int) {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    let wanted = rlim_t(count)
    if limit.rlim_cur < wanted {
      limit.rlim_cur = min(wanted, limit.rlim_max)
      setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
  }

  /// This process's soft descriptor limit (a child started now inherits it).
  static var descriptorLimit: Int {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    return Int(limit.rlim_cur)
  }

  /// Sets the soft descriptor limit of process `pid` (the daemon, say), with
  /// util-linux's `prlimit` (Glibc's function is hidden from Swift).
  static func setDescriptorLimit(of pid: Int32, to soft: Int) async throws {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    let result = try await runCommand(
      "/usr/bin/prlimit", ["--pid", String(pid), "--nofile=\(soft):\(limit.rlim_max)"])
    guard result.status == 0 else { throw TestFailure("prlimit failed: \(result.stderr)") }
  }

  /// How many descriptors process `pid` has open.
  static func openDescriptors(of pid: Int32) -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
  }

  /// Starts a non-blocking TCP connection to 127.0.0.1:`port`; -1 if no socket could be made.
  static func connectTCP(port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    guard fd >= 0 else { return -1 }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    return fd
  }

  /// Connects non-blocking to the Unix socket at `path`; -1 when it refuses
  /// (its backlog is full) or fails.
  static func connectUnix(path: String) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    guard fd >= 0 else { return -1 }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return -1 }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in bytes.enumerated() { raw[index] = byte }
    }
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard connected == 0 else {
      close(fd)
      return -1
    }
    return fd
  }

  /// Whether the peer has closed `fd` (or reset it), without waiting.
  static func peerClosed(_ fd: Int32) -> Bool {
    let readHangUp: Int16 = 0x2000  // Linux; Glibc's module leaves it out
    var entry = pollfd(fd: fd, events: Int16(POLLIN) | readHangUp, revents: 0)
    guard poll(&entry, 1, 0) > 0 else { return false }
    if entry.revents & (Int16(POLLHUP) | readHangUp | Int16(POLLERR)) != 0 { return true }
    var byte: UInt8 = 0
    let count = recv(fd, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK))
    return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
  }

  /// Writes `bytes` without blocking; false when the peer is gone.
  static func send(_ bytes: [UInt8], to fd: Int32) -> Bool {
    let sent = bytes.withUnsafeBytes {
      Glibc.send(fd, $0.baseAddress!, bytes.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
    }
    return sent >= 0 || errno == EAGAIN || errno == EWOULDBLOCK
  }

  /// What has arrived on `fd` so far, without blocking (empty if nothing).
  static func receive(from fd: Int32) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes {
      recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT))
    }
    return count > 0 ? Array(buffer.prefix(count)) : []
  }

  /// Sends one HTTP/1.1 request on each of `count` new connections at once
  /// and returns each answer's status (0 when none came within `timeout`).
  static func concurrentRequests(
    port: Int, count: Int, request: String, timeout: Duration = .seconds(30)
  ) async throws -> [Int] {
    var sockets = (0..<count).map { _ in connectTCP(port: port) }
    var pending = Array(repeating: Array(request.utf8), count: count)
    var answers = Array(repeating: [UInt8](), count: count)
    var statuses = Array(repeating: 0, count: count)
    let deadline = ContinuousClock.now + timeout
    var buffer = [UInt8](repeating: 0, count: 4096)
    while ContinuousClock.now < deadline && statuses.contains(0) {
      for index in sockets.indices where statuses[index] == 0 && sockets[index] >= 0 {
        let fd = sockets[index]
        if !pending[index].isEmpty {
          let sent = pending[index].withUnsafeBytes {
            Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
          }
          if sent > 0 { pending[index].removeFirst(sent) }
          continue
        }
        let received = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if received > 0 { answers[index] += buffer[..<received] }
        let text = String(decoding: answers[index], as: UTF8.self)
        if let line = text.split(separator: "\r\n").first, text.contains("\r\n"),
          line.hasPrefix("HTTP/1.1 "), let status = Int(line.dropFirst(9).prefix(3))
        {
          statuses[index] = status
          close(fd)
          sockets[index] = -1
        } else if received == 0 {
          statuses[index] = -1
        }
      }
      try await Task.sleep(for: .milliseconds(20))
    }
    for fd in sockets where fd >= 0 { close(fd) }
    return statuses
  }
}
