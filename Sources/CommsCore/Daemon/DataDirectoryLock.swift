import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// An exclusive lock on the data directory, held for the daemon's life, so
/// two daemons never lease from the same SQLite store. The kernel releases it
/// when the process dies, even by `kill -9`.
public final class DataDirectoryLock: Sendable {
  let descriptor: Int32

  public init(directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = (directory as NSString).appendingPathComponent("commsd.lock")
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      throw StoreError.corrupt("cannot open \(path): \(String(cString: strerror(errno)))")
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      close(fd)
      throw StoreError.locked(path: directory)
    }
    descriptor = fd
  }

  deinit { close(descriptor) }
}
