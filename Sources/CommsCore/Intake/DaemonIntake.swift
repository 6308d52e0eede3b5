import Foundation
import Logging

/// Intake inside the daemon, for requests from the intake socket: validated
/// against the running configuration and directory, durable before the
/// answer, and the planner woken at once.
///
/// A flash message takes a shorter road: it is planned here and accepted,
/// planned and leased in one transaction, and its deliveries go straight to
/// the dispatcher. Measured before (flash under a 100,000-delivery backlog):
/// the separate intake, plan and lease transactions, each queued behind the
/// recorder's and the leaser's, and the hops between the loops made up most
/// of the p99. Flash is never dosed, so nothing the planner would look up
/// later (dosing history, digests) is missed by planning at intake. While a
/// flash message is accepted and handed over, the curl engine starts no new
/// bulk transfer (`CurlEngine.holdingNonUrgent`).
struct DaemonIntake: Sendable {
  let configuration: Configuration
  let store: any Store
  let directory: DirectorySource
  let owner: String
  let planBell: Doorbell
  let dispatcher: Dispatcher
  let clock: any WallClock
  let logger: Logger

  func accept(_ request: IntakeWire.Request, from peer: PeerCredentials) async
    -> IntakeWire.Response
  {
    let operatorName = peer.operatorName(claimedPerson: request.claimedPerson)
    let host = ProcessInfo.processInfo.hostName
    // A CAP alert is recorded as the alert's sender's, fed in by this operator.
    let sender =
      request.cap.map { Sender(kind: .cap, name: $0.sender, origin: "\(operatorName)@\(host)") }
      ?? Sender(kind: .cli, name: operatorName, origin: host)
    var sendRequest = request.sendRequest(sender: sender)
    // The keys of CAP alerts and API tokens are intake's own: a CAP alert
    // from the socket gets the operators' key for its identity whatever the
    // client wrote, and no other request may take one (so no client can
    // pre-empt a token's alert, or a token's Idempotency-Key).
    if let cap = request.cap {
      sendRequest.idempotencyKey = CAPIntake.idempotencyKey(
        sender: cap.sender, identifier: cap.identifier, principal: .operators)
    } else if let key = request.idempotencyKey, CAPIntake.isReservedKey(key),
      key != request.draft.map({ "draft:\($0)" })
    {
      // A draft's own key (`commsd draft send`) is the one exception.
      return .refused(
        field: "idempotency_key",
        message:
          "keys starting with cap:, cap-sha256:, api:, draft: or console: are kept for CAP alerts, API tokens, drafts and the console; choose another"
      )
    }
    // Who may send what: the person behind the socket, by the kernel's word.
    do throws(IntakeError) {
      try directory.operators.authorize(
        sendRequest, account: peer.uid, loginUID: OperatorName.loginUID(ofProcess: String(peer.pid))
      )
    } catch {
      let refusal = IntakeWire.Response.refused(field: error.field, message: error.message)
      await Intake(configuration: configuration, store: store, clock: clock)
        .recordRefusal(refusal, of: sendRequest)
      return refusal
    }
    return await accept(sendRequest)
  }

  /// Validates `request` against the running configuration and directory,
  /// as acceptance would; nothing is stored (a draft is checked so).
  func validate(_ request: SendRequest) throws(IntakeError) {
    try Intake(
      configuration: configuration, store: store, clock: clock, directory: directory.current
    ).validate(request)
  }

  /// What `request` would do (`DryRun`), against the running configuration
  /// and directory; nothing is stored.
  func dryRun(_ request: SendRequest) async throws -> DryRunReport {
    try await DryRun.report(
      request,
      intake: Intake(
        configuration: configuration, store: store, clock: clock, directory: directory.current))
  }

  /// Validates, stores and (flash) plans and hands on `request`, whose
  /// sender the caller has established (socket peer, API token).
  func accept(_ sendRequest: SendRequest) async -> IntakeWire.Response {
    let directory = directory.current
    let intake = Intake(
      configuration: configuration, store: store, clock: clock, directory: directory)
    do {
      let (message, fingerprint) = try intake.makeMessage(sendRequest)
      let outcome: AcceptOutcome
      // The bulletins the message got, when known here (flash: its leased
      // deliveries carry them), so the SMS warnings need no store read.
      var bulletins: [String: Int]?
      // Flash is planned in the accepting transaction, unless it is
      // scheduled: then it waits for its release like any message.
      if message.priority == .flash, !message.isScheduled {
        let plan = Planner(dosing: Dosing()).streamed(
          message, directory: directory,
          policies: configuration.audiences.mapValues(\.dosing), at: message.acceptedAt)
        let until = message.acceptedAt.addingTimeInterval(
          configuration.dispatch.leaseDuration.seconds)
        // No new bulk transfer starts meanwhile (see `UrgentPrecedence`).
        let leased: [Delivery]
        (outcome, leased) = try await dispatcher.engine.holdingNonUrgent {
          let (outcome, leased) = try await store.acceptPlannedAndLeased(
            message, fingerprint: fingerprint, plan: plan, owner: owner, until: until)
          await dispatcher.hand(leased, of: message)
          return (outcome, leased)
        }
        bulletins = Dictionary(
          leased.map { ($0.audience, $0.bulletin) }, uniquingKeysWith: { first, _ in first })
      } else {
        outcome = try await store.accept(message, fingerprint: fingerprint)
        if case .accepted = outcome { planBell.ring() }
      }
      switch outcome {
      case .accepted(let id):
        logger.info(
          "message accepted",
          metadata: [
            "message": "\(id)", "sender": "\(sendRequest.sender)",
            "priority": "\(sendRequest.priority.rawValue)",
            "audiences": "\(sendRequest.audiences.joined(separator: ","))",
          ])
        return .accepted(
          id, warnings: await intake.smsWarnings(for: message, bulletins: bulletins),
          awaitingApproval: message.awaitingApproval)
      case .duplicate(let id):
        return .duplicate(id)
      }
    } catch {
      if let refusal = IntakeWire.refusal(error) {
        await intake.recordRefusal(refusal, of: sendRequest)
        return refusal
      }
      logger.error("cannot store an accepted request", metadata: ["error": "\(error)"])
      return .failed(message: "the store did not take the message: \(error)")
    }
  }
}
