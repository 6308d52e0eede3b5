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
  }

  static func write(_ payload: [UInt8], to fd: Int32) throws(Failure) {
    let count = UInt32(payload.count)
    let header: [UInt8] = [
      UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF),
      UInt8(count & 0xFF),
    ]
    try writeAll(header + payload, to: fd)
  }

  static func read(from fd: Int32, limit: Int) throws(Failure) -> [UInt8] {
    let header = try readExactly(4, from: fd)
    let count = header.reduce(0) { ($0 << 8) | Int($1) }
    guard count <= limit else { throw .tooLarge(count) }
    return try readExactly(count, from: fd)
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

  private static func readExactly(_ count: Int, from fd: Int32) throws(Failure) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var offset = 0
    while offset < count {
      let received = bytes.withUnsafeMutableBytes {
        recv(fd, $0.baseAddress! + offset, count - offset, 0)
      }
      if received < 0 {
        if errno == EINTR { continue }
        throw .system(errno)
      }
      if received == 0 { throw .closed }
      offset += received
    }
    return bytes
  }

  /// Sets a receive and send timeout on `fd`, so a stuck peer cannot hold a thread forever.
  static func setTimeout(_ seconds: Int, on fd: Int32) {
    var value = timeval(tv_sec: seconds, tv_usec: 0)
    let size = socklen_t(MemoryLayout<timeval>.size)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, size)
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, size)
  }
}
