import CommsCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Who runs a CLI command: the login behind `sudo` if any, else the
/// effective user, on this host. Recorded with every message sent.
enum OperatorIdentity {
  static func current() -> Sender {
    let environment = ProcessInfo.processInfo.environment
    var name = "uid\(geteuid())"
    if let entry = getpwuid(geteuid()), let login = entry.pointee.pw_name {
      name = String(cString: login)
    }
    if let sudoUser = environment["SUDO_USER"], !sudoUser.isEmpty, sudoUser != name {
      name = "\(sudoUser) (sudo as \(name))"
    }
    return Sender(kind: .cli, name: name, origin: ProcessInfo.processInfo.hostName)
  }
}
