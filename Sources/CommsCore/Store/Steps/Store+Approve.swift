import Foundation

/// `commsd approve|reject`, the API and the approval link: a decision on a
/// message waiting for approval.
extension Store {
  /// Records `decision`, with its audit events, in one transaction; an
  /// audience approved by enough approvers takes its bulletin number and
  /// is planned by the planning loop. Refuses (`StoreError.refused`,
  /// naming the field) a decider who is not an approver, the sender's own
  /// approval where `not_sender` holds, a second vote and a message not
  /// waiting. It goes ahead of everyday writes.
  public func decide(_ decision: ApprovalDecision) async throws -> ApprovalOutcome {
    try await write(.urgent) { transaction in try transaction.decide(decision) }
  }
}

extension StoreTransaction {
  func decide(_ decision: ApprovalDecision) throws -> ApprovalOutcome {
    let id = decision.messageID
    guard
      let message = try row(
        "SELECT sender_name FROM messages WHERE id = ?\(forUpdate)", [id.rawValue])
    else { throw StoreError.refused(field: "id", "there is no message \(id) in this store") }
    let senderName: String = try message[0]
    var gates = try approvalRows(of: id)
    guard !gates.isEmpty else {
      throw StoreError.refused(
        field: "id", "\(id) does not wait for approval: none of its audiences asks for it")
    }
    if let audience = decision.audience {
      let all = gates.map(\.audience).joined(separator: ", ")
      gates = gates.filter { $0.audience == audience }
      guard !gates.isEmpty else {
        throw StoreError.refused(
          field: "audience",
          "\(id) has no approval for \"\(Printable.quoted(audience))\" (it has: \(all))")
      }
    }
    let pending = gates.filter { $0.state == .pending }
    guard !pending.isEmpty else {
      throw StoreError.refused(
        field: "id",
        "\(id) is not waiting for approval: "
          + gates.map { $0.summary }.joined(separator: "; "))
    }
    // The person behind the sender: "mette (sudo as commsd)" is mette.
    let senderPerson = String(senderName.prefix { $0 != " " })
    var refusals: [String] = []
    var eligible: [(gate: ApprovalRecord, voter: String)] = []
    for gate in pending {
      // A Unix user or token counts as an approver only through the
      // approver's `operator` attribute; a link, as the recipient it went to.
      let matched: Approver?
      var byRight = false
      let own: Bool
      switch decision.decider {
      case .recipient(let recipient):
        matched = gate.approvers.first { $0.id == recipient }
        own = matched?.operatorName == senderPerson
      case .operatorName(let name, let mayApprove):
        matched = gate.approvers.first { $0.operatorName == name }
        byRight = mayApprove(gate.audience)
        own = name == senderPerson
      }
      let name = decision.decider.name
      guard matched != nil || byRight else {
        refusals.append(
          "\(name) is not an approver for \(gate.audience) (approvers: \(gate.approvers.map(\.id).joined(separator: ", ")))"
        )
        continue
      }
      if gate.notSender, own, decision.verdict == .approve {
        refusals.append(
          "\(name) sent \(id) and may not approve it for \(gate.audience): a second person must (not_sender)"
        )
        continue
      }
      let voter = matched?.id ?? name
      if let earlier = gate.votes.first(where: { $0.approver == voter }) {
        refusals.append(
          "\(voter) already \(earlier.decision == .approve ? "approved" : "rejected") it for \(gate.audience) at \(Timestamp.format(earlier.at))"
        )
        continue
      }
      eligible.append((gate, voter))
    }
    guard !eligible.isEmpty else {
      throw StoreError.refused(field: "approver", refusals.joined(separator: "; "))
    }
    let at = Timestamp.format(decision.at)
    var decided: [ApprovalOutcome.Decided] = []
    for (gate, voter) in eligible {
      try execute(
        """
        INSERT INTO approval_votes (message_id, audience, approver, decision, via, at, reason)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """,
        [
          id.rawValue, gate.audience, voter, decision.verdict.rawValue, decision.via, at,
          decision.reason,
        ])
      let votes = gate.votes.filter { $0.decision == .approve }.count + 1
      let waited = decision.at.timeIntervalSince(gate.requestedAt)
      let state: ApprovalGate.State =
        decision.verdict == .reject ? .rejected : votes >= gate.required ? .approved : .pending
      var detail = [
        "audience": gate.audience, "approver": voter, "via": decision.via,
        "waited_seconds": String(Duration.wholeSeconds(waited).components.seconds),
        "votes": String(votes), "required": String(gate.required),
      ]
      if let reason = decision.reason { detail["reason"] = reason }
      if state != .pending {
        try execute(
          """
          UPDATE approvals SET state = ?, remind_at = NULL, timeout_at = NULL, decided_at = ?,
            decided_by = ?, decided_via = ?, reason = ?
          WHERE message_id = ? AND audience = ? AND state = 'pending'
          """,
          [
            state.rawValue, at, voter, decision.via, decision.reason, id.rawValue, gate.audience,
          ])
        if state == .approved, try !awaitsRelease(id) {
          let numbers = try numberBulletins(id, audiences: [gate.audience])
          detail["bulletin"] = numbers[gate.audience].map(String.init)
        }
      }
      try audit(
        AuditEvent(
          kind: state == .approved
            ? "approval.approved" : state == .rejected ? "approval.rejected" : "approval.voted",
          at: decision.at, messageID: id, actor: "\(decision.decider.name) (\(decision.via))",
          detail: detail))
      decided.append(
        ApprovalOutcome.Decided(
          audience: gate.audience, state: state, votes: votes, required: gate.required,
          waited: waited))
    }
    notify(.plan)
    return ApprovalOutcome(messageID: id, decided: decided)
  }

  /// The approval rows of `message`, with their votes.
  func approvalRows(of message: MessageID) throws -> [ApprovalRecord] {
    try ApprovalRecord.all(of: message) { sql, arguments in try rows(sql, arguments) }
  }
}
