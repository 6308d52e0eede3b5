import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Length-prefixed frames on a stream socket: four bytes of length (big
/// endian), then that many bytes. One frame per request and per answer.
enum SocketFrames {
  /// Why a frame could not be read or written.
  enum Failure: Error, Equatable {
    case closed
    case tooLarge(Int)
    case system(Int32)
    /// The whole frame did not arrive before its deadline.
    case timedOut
  }

  /// How much is read at a time: the buffer grows by what actually arrived,
  /// never by what the length header claims.
  static let chunkSize = 64 * 1024

  static func write(_ payload: [UInt8], to fd: Int32) throws(Failure) {
    let count = UInt32(payload.count)
    let header: [UInt8] = [
      UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF),
      UInt8(count & 0xFF),
    ]
    try writeAll(header + payload, to: fd)
  }

  /// Reads one frame of at most `limit` bytes. With a `deadline`, the whole
  /// frame must have arrived by then (a client dripping a byte at a time
  /// cannot hold the reader longer); without one, each `recv` is bounded by
  /// the socket's own timeout (`setTimeout`).
  static func read(
    from fd: Int32, limit: Int, deadline: ContinuousClock.Instant? = nil
  ) throws(Failure) -> [UInt8] {
    let header = try readExactly(4, from: fd, deadline: deadline)
    let count = header.reduce(0) { ($0 << 8) | Int($1) }
    guard count <= limit else { throw .tooLarge(count) }
    return try readExactly(count, from: fd, deadline: deadline)
  }

  private static func writeAll(_ bytes: [UInt8], to fd: Int32) throws(Failure) {
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes {
        send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
      }
      if written < 0 {
        if errno == EINTR { continue }
        throw .system(errno)
      }
      offset += written
    }
  }

  private static func readExactly(
    _ count: Int, from fd: Int32, deadline: ContinuousClock.Instant?
  ) throws(Failure) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(min(count, chunkSize))
    var chunk = [UInt8](repeating: 0, count: min(count, chunkSize))
    while bytes.count < count {
      if let deadline { try wait(for: fd, until: deadline) }
      let wanted = min(count - bytes.count, chunk.count)
      let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, wanted, 0) }
      if received < 0 {
        if errno == EINTR { continue }
        throw .system(errno)
      }
      if received == 0 { throw .closed }
      bytes.append(contentsOf: chunk[..<received])
    }
    return bytes
  }

  /// Returns once `fd` has something to read, or throws `timedOut` at `deadline`.
  private static func wait(for fd: Int32, until deadline: ContinuousClock.Instant)
    throws(Failure)
  {
    while true {
      let left = deadline - ContinuousClock.now
      guard left > .zero else { throw .timedOut }
      // At most an hour per poll: the conversion below cannot overflow.
      let milliseconds = Int32((min(left, .seconds(3600)) / .milliseconds(1)).rounded(.up))
      var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let ready = poll(&entry, 1, milliseconds)
      if ready > 0 { return }
      if ready < 0 && errno != EINTR { throw .system(errno) }
    }
  }

  /// Sets a receive and send timeout on `fd`, so a stuck peer cannot hold a thread forever.
  static func setTimeout(_ seconds: Int, on fd: Int32) {
    var value = timeval(tv_sec: seconds, tv_usec: 0)
    let size = socklen_t(MemoryLayout<timeval>.size)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, size)
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, size)
  }
}
