import ArgumentParser
import CommsCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The operator's mandate for a command that writes or reads the store
/// directly (`[[operators]]` rights: cancel, inbox, audit, send for a dead
/// letter's retry): the person is the kernel's login uid behind a sudo,
/// else the effective user. A refusal exits 65 naming `operator` or
/// `audiences` and is audited (`operator.refused`) under the true identity.
///
/// These commands open the store themselves, so the check holds for a
/// user who runs commsd; the boundary against one who opens the store
/// file with other tools is the file's permissions (the shipped unit
/// keeps it to the commsd user and group), as the README says.
enum Mandate {
  static func require(
    _ right: OperatorRight, over audiences: [String] = [], settings: HandOverSettings,
    store: any Store, command: String
  ) async throws {
    do throws(IntakeError) {
      try settings.operators.authorize(
        right, over: audiences, account: geteuid(),
        loginUID: OperatorName.loginUID(ofProcess: "self"))
    } catch {
      let who = OperatorIdentity.current().description
      try? await store.appendAudit([
        AuditEvent(
          kind: "operator.refused", at: SystemClock().now(), actor: who,
          detail: [
            "command": command, "right": right.rawValue,
            "audiences": audiences.joined(separator: ","), "field": error.field,
            "reason": error.message,
          ])
      ])
      printError("\(command): \(error)")
      throw ExitCode(65)
    }
  }
}
