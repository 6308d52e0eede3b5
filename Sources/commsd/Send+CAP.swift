import ArgumentParser
import CommsCore
import Foundation

/// `commsd send --cap FILE`: a CAP 1.2 alert in (see `CAPIntake`).
extension Send {
  /// What the alert gives, and so may not be given beside --cap.
  func validateCAP() throws {
    let given: [(String, Bool)] = [
      ("--audience", message.audience != nil), ("--subject", message.subject != nil),
      ("--body", message.body != nil), ("--body-file", message.bodyFile != nil),
      ("--subject-in", !message.subjectsIn.isEmpty), ("--body-in", !message.bodiesIn.isEmpty),
      ("--body-file-in", !message.bodyFilesIn.isEmpty), ("--sms-body", message.smsBody != nil),
      ("--sms-body-in", !message.smsBodiesIn.isEmpty), ("--priority", message.priority != nil),
      ("--kind", message.kind != nil), ("--mode", message.mode != nil),
      ("--supersedes", message.supersedes != nil), ("--expires", message.expires != nil),
      ("--idempotency-key", idempotencyKey != nil), ("--template", message.template != nil),
      ("--var", !message.vars.isEmpty), ("--at", message.timing.at != nil),
      ("--in", message.timing.after != nil),
    ]
    let clashing = given.filter(\.1).map(\.0)
    if !clashing.isEmpty {
      throw ValidationError(
        "--cap takes everything from the alert; leave out \(clashing.joined(separator: ", "))")
    }
  }

  /// Reads, checks and acts on the alert in `path`: an Alert or Update goes
  /// the way of any send (the daemon, or the store when none runs); a
  /// Cancel is carried out as `commsd cancel --notify` does it.
  func sendCAP(_ path: String, _ settings: HandOverSettings) async throws {
    let data = try InputText.data(path, option: "--cap", command: "commsd send")
    let action: CAPIntake.Action
    do {
      let alert = try CAPReader.parse(data)
      let store = try Cancel.openStore(settings, command: "commsd send")
      action = try await CAPIntake(
        cap: settings.cap, defaultLanguage: settings.defaultLanguage, store: store
      ).action(for: alert, origin: path == "-" ? "stdin" : path)
    } catch let error as CAPError {
      printError("commsd send: CAP: \(error)")
      throw ExitCode(65)  // EX_DATAERR
    }
    switch action {
    case .send(let request):
      try await submit(
        request, settings,
        duplicate:
          "this CAP alert (same sender and identifier) was accepted earlier; not queued again"
      )
    case .cancel(let cancellation):
      try await cancel(cancellation, settings)
    }
  }

  private func cancel(_ cancellation: CAPCancellation, _ settings: HandOverSettings) async throws {
    for reference in cancellation.unknown {
      printError(
        "commsd send: CAP: \(reference.identifier) of \(reference.sender) never came here; nothing to cancel for it"
      )
    }
    for id in cancellation.alreadyCancelled {
      printError("commsd send: CAP: \(id) was cancelled already")
    }
    let store = try Cancel.openStore(settings, command: "commsd send")
    for id in cancellation.messages {
      try await Cancel.withdraw(
        id, reason: cancellation.reason, notify: true, actor: cancellation.sender, store: store,
        wakeSocketPath: settings.wakeSocketPath, command: "commsd send")
    }
  }
}
