import Foundation

/// The process on the other end of a Unix socket, as the kernel reports it
/// (`SO_PEERCRED`): who is asking, whatever the client claims.
public struct PeerCredentials: Sendable, Equatable {
  public var pid: Int32
  public var uid: UInt32

  /// The login name of `uid`, or `uid1234` when it has none.
  public var userName: String { OperatorName.userName(uid) }

  /// The operator to record, from the kernel's account of the peer (its
  /// uid, and the login uid behind a `sudo`); see `OperatorName`. The
  /// client's own claim counts only as a claim.
  public func operatorName(claimedPerson: String?) -> String {
    OperatorName.make(
      account: uid, loginUID: OperatorName.loginUID(ofProcess: String(pid)),
      claimedPerson: claimedPerson)
  }
}
