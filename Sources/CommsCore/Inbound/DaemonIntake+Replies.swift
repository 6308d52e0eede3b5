import Foundation

/// Replies and questions coming back, taken inside the daemon from every
/// way in (the SMS gateways' callbacks, `commsd mailgate` over the intake
/// socket, signed hooks) the same way: against the running configuration
/// and directory, durable before the answer.
extension DaemonIntake {
  /// Takes `reply` (`Store.receiveReply`): an SMS that is a confirmation
  /// word confirms; anything else is an inquiry, routed and acknowledged
  /// as its sender's audience asks.
  func receive(_ reply: IncomingReply) async throws -> InquiryOutcome {
    let reply = reply.bounded()
    let directory = directory.current
    let now = clock.now()
    // The sender's person, found before the write (a scan of the directory).
    let sender =
      reply.recipientID.flatMap(directory.recipient(id:))
      ?? directory.recipient(
        reachedAt: reply.from, endpoint: reply.channel == .sms ? reply.source : nil)
    let settings = configuration.confirm
    let confirms =
      reply.channel == .sms && settings.smsWords.confirms(reply.text, prefix: settings.smsPrefix)
    let outcome = try await store.receiveReply(
      reply, sender: sender, directory: directory, confirms: confirms,
      confirmSince: now - settings.linkValid.seconds, policy: configuration.inboundPolicy, at: now)
    switch outcome {
    case .inquiry(let id, let match, let duplicate):
      if !duplicate {
        // Its copies and acknowledgement are planned already: the dispatcher takes them.
        dispatcher.workArrived()
        logger.notice(
          "inquiry received",
          metadata: [
            "inquiry": "\(id)", "channel": "\(reply.channel.rawValue)",
            "source": "\(reply.source)", "match": "\(match.rawValue)",
          ])
      }
    case .automatic(let reason):
      logger.info(
        "automatic reply recorded, no inquiry",
        metadata: ["channel": "\(reply.channel.rawValue)", "reason": "\(reason)"])
    case .confirmation:
      break
    }
    return outcome
  }

  /// A reply from `commsd mailgate` over the intake socket: an email
  /// always (whatever the client says), from `mailgate`.
  func receive(_ reply: IncomingReply, from peer: PeerCredentials) async -> IntakeWire.Response {
    var reply = reply
    guard !reply.from.isEmpty else { return .refused(field: "from", message: "is empty") }
    reply.channel = .email
    reply.source = "mailgate"
    reply.recipientID = nil
    do {
      return IntakeWire.received(try await receive(reply))
    } catch {
      if let refusal = IntakeWire.refusal(error) { return refusal }
      logger.error(
        "cannot store a reply", metadata: ["error": "\(error)", "uid": "\(peer.uid)"])
      return .failed(message: "the store did not take the reply: \(error)")
    }
  }
}
