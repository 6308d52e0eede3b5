import Foundation
import Testing

@testable import CommsCore

/// Who an action is recorded under: from the kernel, not from the client.
@Suite struct OperatorNameTests {
  let names: [UInt32: String] = [0: "root", 998: "commsd", 1000: "anna"]
  func name(_ uid: UInt32) -> String { names[uid] ?? "uid\(uid)" }

  @Test func theKernelsLoginUIDNamesThePersonBehindSudo() {
    #expect(
      OperatorName.make(account: 998, loginUID: 1000, claimedPerson: "mallory", name: name)
        == "anna (sudo as commsd)")
    #expect(
      OperatorName.make(account: 1000, loginUID: 1000, claimedPerson: nil, name: name) == "anna")
  }

  /// Without a login uid (a container, no pam_loginuid) a claim stays a
  /// claim, marked as such; it never replaces the account.
  @Test func withoutALoginUIDAClaimIsRecordedAsUnverified() {
    #expect(
      OperatorName.make(account: 998, loginUID: nil, claimedPerson: "anna", name: name)
        == "commsd (claims sudo by anna, unverified)")
    #expect(
      OperatorName.make(account: 998, loginUID: nil, claimedPerson: "commsd", name: name)
        == "commsd")
    #expect(
      OperatorName.make(account: 998, loginUID: nil, claimedPerson: "x\ny", name: name)
        == "commsd (claims sudo by x\\u{A}y, unverified)")
  }

  @Test func thisProcessHasALoginUIDOrNone() {
    // /proc/self/loginuid exists on Linux; unset (4294967295) reads as nil.
    let text = try? String(contentsOfFile: "/proc/self/loginuid", encoding: .utf8)
    let expected = text.flatMap { UInt32($0) }.flatMap { $0 == UInt32.max ? nil : $0 }
    #expect(OperatorName.loginUID(ofProcess: "self") == expected)
    #expect(OperatorName.loginUID(ofProcess: "0") == nil)
  }
}
