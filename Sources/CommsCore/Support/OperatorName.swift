import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The name an operator's action is recorded under, from what the kernel
/// says, never from what a client claims.
///
/// Behind `sudo -u commsd` the acting account is `commsd`; the person is
/// told by the kernel's audit login uid (`/proc/PID/loginuid`): set once at
/// login by pam_loginuid, inherited by everything the person starts,
/// unchanged by `sudo` and `su`, and not changeable without
/// CAP_AUDIT_CONTROL. `SUDO_USER` is only an environment variable, which
/// the client sets as it likes; where no login uid is set (a container, a
/// system without pam_loginuid), a claimed person is recorded as a claim.
public enum OperatorName {
  /// The login uid of process `pid` (`"self"` for this one), or nil when it is
  /// unset (4294967295) or unreadable.
  public static func loginUID(ofProcess pid: String) -> UInt32? {
    guard
      let text = try? String(contentsOfFile: "/proc/\(pid)/loginuid", encoding: .utf8),
      let value = UInt32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
      value != UInt32.max
    else { return nil }
    return value
  }

  /// The login name of `uid`, or `uid1234` when it has none.
  public static func userName(_ uid: UInt32) -> String {
    if let entry = getpwuid(uid), let name = entry.pointee.pw_name { return String(cString: name) }
    return "uid\(uid)"
  }

  /// `anna (sudo as commsd)` when the kernel's login uid names another
  /// person than the acting account; else the account, with a differing
  /// claim kept as such (`commsd (claims sudo by anna, unverified)`).
  ///
  /// - Parameters:
  ///   - account: the acting user (the socket peer's uid, or this process's).
  ///   - loginUID: the kernel's login uid of the acting process, if set.
  ///   - claimedPerson: who the client says is behind it (`SUDO_USER`), if anyone.
  public static func make(
    account uid: UInt32, loginUID: UInt32?, claimedPerson: String?,
    name: (UInt32) -> String = userName
  ) -> String {
    let account = name(uid)
    if let loginUID, loginUID != uid { return "\(name(loginUID)) (sudo as \(account))" }
    if loginUID == nil, let claimedPerson, !claimedPerson.isEmpty, claimedPerson != account {
      return "\(account) (claims sudo by \(Printable.quoted(claimedPerson, limit: 64)), unverified)"
    }
    return account
  }
}
