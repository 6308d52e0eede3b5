import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A short-lived exclusive lock on a file, shared between processes.
enum FileLock {
  static func withExclusiveLock<T>(path: String, _ body: () throws -> T) throws -> T {
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      throw StoreError.corrupt("cannot open \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    while flock(fd, LOCK_EX) != 0 {
      guard errno == EINTR else {
        throw StoreError.corrupt("cannot lock \(path): \(String(cString: strerror(errno)))")
      }
    }
    defer { flock(fd, LOCK_UN) }
    return try body()
  }
}
