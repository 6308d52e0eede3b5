import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One of the daemon's local sockets (wake, intake) could not be set up.
public enum LocalSocketError: Error, CustomStringConvertible {
  case cannotOpen(String, Int32)
  case cannotAccept(String, Int32)
  public var description: String {
    switch self {
    case .cannotOpen(let path, let code):
      "cannot open the socket \(path): \(String(cString: strerror(code)))"
    case .cannotAccept(let path, let code):
      "cannot accept a connection on \(path): \(String(cString: strerror(code)))"
    }
  }
}
