import ArgumentParser
import CommsCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// `commsd approve ID [--audience A]`: approve a message that waits for a
/// second person (`[audiences.NAME.approval]`).
struct Approve: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Approve a message that waits for approval.",
    discussion: """
      You count as an approver when the audience's approvers name you (a \
      recipient whose attribute operator is your Unix user) or when \
      [[operators]] gives you the approve right over the audience. Where \
      not_sender holds, the sender's own approval is refused. Without \
      --audience, every waiting audience you may approve is approved.
      """)

  @OptionGroup var decision: DecisionOptions

  func run() async throws {
    try await decision.carryOut(.approve, reason: nil, command: "commsd approve")
  }
}

/// `commsd reject ID --reason TEXT [--audience A]`: the audience never
/// gets it.
struct Reject: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Reject a message that waits for approval: the audience never gets it.")

  @OptionGroup var decision: DecisionOptions

  @Option(help: "Why; recorded, and shown in status.")
  var reason: String

  func run() async throws {
    try await decision.carryOut(.reject, reason: reason, command: "commsd reject")
  }
}

struct DecisionOptions: ParsableArguments {
  @OptionGroup var options: ConfigOption

  @Argument(help: "The message id printed by `commsd send`.")
  var id: String

  @Option(help: "Decide for this audience only.")
  var audience: String?

  @Flag(help: "Print JSON for scripts.")
  var json = false

  func carryOut(_ verdict: ApprovalDecision.Verdict, reason: String?, command: String)
    async throws
  {
    let settings = try options.handOver()
    guard MessageID.isWellFormed(id) else {
      printError("\(command): \"\(id)\" is not a message id (they look like msg_01J…)")
      throw ExitCode(65)
    }
    let checkedReason: String?
    do {
      checkedReason = try ApprovalDecision.checkedReason(reason, required: verdict == .reject)
    } catch {
      printError("\(command): \(error.field): \(error.message)")
      throw ExitCode(65)
    }
    // The person: the kernel's login uid behind a sudo, else the user.
    let person = OperatorAccount(uid: OperatorName.loginUID(ofProcess: "self") ?? geteuid())
    // The approvers were taken when the message was accepted; the rights
    // come from the main file alone, so a broken recipient list does not
    // stop a decision.
    let scope = settings.operators.scope(user: person.name, groups: person.groups)
    let store = try Cancel.openStore(settings, command: command)
    let decision = ApprovalDecision(
      messageID: MessageID(rawValue: id), verdict: verdict,
      decider: .operatorName(
        person.name,
        mayApprove: { audience in
          guard let scope, scope.rights.contains(.approve) else { return false }
          return scope.audiences?.contains(audience) ?? true
        }), via: "cli", audience: audience, reason: checkedReason, at: SystemClock().now())
    let outcome: ApprovalOutcome
    do {
      outcome = try await store.decide(decision)
    } catch StoreError.refused(let field, let message) {
      try? await store.appendAudit([ApprovalAudit.refused(decision, message: message)])
      printError("\(command): \(field): \(message)")
      throw ExitCode(65)
    }
    WakeSocket.ring(path: settings.wakeSocketPath)
    if json {
      print(
        JSONCoding.string(
          outcome.decided.map {
            [
              "audience": $0.audience, "state": $0.state.rawValue, "votes": String($0.votes),
              "required": String($0.required),
              "waited_seconds": String(Duration.wholeSeconds($0.waited).components.seconds),
            ]
          }))
      return
    }
    for decided in outcome.decided {
      let waited = DurationText.format(.wholeSeconds(decided.waited))
      switch decided.state {
      case .approved: print("\(id): \(decided.audience) approved after \(waited); it goes now")
      case .rejected: print("\(id): \(decided.audience) rejected; it never goes there")
      default:
        print(
          "\(id): \(decided.audience): your approval counted (\(decided.votes) of \(decided.required))"
        )
      }
    }
  }
}
