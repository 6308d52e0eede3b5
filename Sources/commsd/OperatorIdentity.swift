import CommsCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Who runs a CLI command on this host: the effective user, and the person
/// behind a `sudo` as the kernel's login uid tells it (see `OperatorName`;
/// `SUDO_USER` alone is recorded as a claim). Recorded with every message
/// sent and every audited command.
enum OperatorIdentity {
  static func current() -> Sender {
    let name = OperatorName.make(
      account: geteuid(), loginUID: OperatorName.loginUID(ofProcess: "self"),
      claimedPerson: ProcessInfo.processInfo.environment["SUDO_USER"])
    return Sender(kind: .cli, name: name, origin: ProcessInfo.processInfo.hostName)
  }
}
