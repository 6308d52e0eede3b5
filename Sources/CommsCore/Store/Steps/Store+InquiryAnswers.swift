import Foundation

/// What an operator does with an inquiry (`commsd inbox answer|assign|
/// close`, the API's `/v1/inquiries/{id}/…`), and the reminder of the
/// handlers when one stays open. Each is one transaction with its audit
/// event; a refusal (no such inquiry, already answered, past retention)
/// is `StoreError.refused` naming the field, and changes nothing.
extension Store {
  /// Sends `text` to the person who asked, on the contact they asked from,
  /// and marks the inquiry answered (which closes it). A second answer to
  /// an answered or closed inquiry needs `again`.
  public func answerInquiry(
    _ id: InquiryID, text: String, language: String, sender: Sender, again: Bool = false,
    directory: RecipientDirectory, at now: Date
  ) async throws -> (message: MessageID, delivery: DeliveryID) {
    try await write(.urgent) { transaction in
      let inquiry = try transaction.inquiryForChange(id)
      if inquiry.state != .open, !again {
        throw StoreError.refused(
          field: "inquiry",
          "\(id) is already \(inquiry.state.rawValue); give --again to send another answer")
      }
      guard let contact = InquiryMessages.replyContact(of: inquiry, directory: directory) else {
        throw StoreError.refused(
          field: "inquiry",
          "\(id) came from the hook \(inquiry.source) for nobody commsd knows; answer it there")
      }
      var generator = SystemRandomNumberGenerator()
      let (message, delivery) = InquiryMessages.answer(
        inquiry, text: text, language: language, sender: sender, contact: contact, at: now,
        using: &generator)
      try transaction.acceptComposed(message, deliveries: [delivery], at: now)
      let at = Timestamp.format(now)
      try transaction.execute(
        """
        UPDATE inquiries SET state = 'answered', answered_at = ?, answered_by = ?,
          answer_message_id = ?, alert_at = NULL WHERE id = ?
        """, [at, sender.description, message.id.rawValue, id.rawValue])
      try transaction.audit(
        AuditEvent(
          kind: "inquiry.answered", at: now, messageID: message.id, deliveryID: delivery.id,
          actor: sender.description,
          detail: [
            "inquiry": id.rawValue, "recipient": inquiry.recipientID ?? "",
            "channel": inquiry.channel.rawValue,
            "question_message": inquiry.messageID?.rawValue ?? "",
          ],
          personal: ["text": text, "to": contact.address]))
      return (message.id, delivery.id)
    }
  }

  /// Gives the inquiry to `assignee` (a handler's name), or takes it back (nil).
  public func assignInquiry(_ id: InquiryID, to assignee: String?, by actor: String, at now: Date)
    async throws
  {
    try await write { transaction in
      _ = try transaction.inquiryForChange(id)
      try transaction.execute(
        "UPDATE inquiries SET assignee = ? WHERE id = ?", [assignee, id.rawValue])
      try transaction.audit(
        AuditEvent(
          kind: "inquiry.assigned", at: now, actor: actor,
          detail: ["inquiry": id.rawValue, "assignee": assignee ?? ""]))
    }
  }

  /// Closes the inquiry without an answer through commsd (answered by
  /// phone, a duplicate, nothing to answer); `reason` says why.
  public func closeInquiry(_ id: InquiryID, reason: String, by actor: String, at now: Date)
    async throws
  {
    try await write { transaction in
      let inquiry = try transaction.inquiryForChange(id)
      guard inquiry.state == .open else {
        throw StoreError.refused(field: "inquiry", "\(id) is already \(inquiry.state.rawValue)")
      }
      try transaction.execute(
        """
        UPDATE inquiries SET state = 'closed', closed_at = ?, closed_by = ?, close_reason = ?,
          alert_at = NULL WHERE id = ?
        """, [Timestamp.format(now), actor, reason, id.rawValue])
      try transaction.audit(
        AuditEvent(
          kind: "inquiry.closed", at: now, actor: actor, detail: ["inquiry": id.rawValue],
          personal: ["reason": reason]))
    }
  }

  /// Reminds the handlers of each inquiry still open past its
  /// `answer_within` (once: the reminder clears `alert_at` in the same
  /// transaction, so a second node or a repeat turn finds nothing).
  /// Returns how many were reminded.
  @discardableResult
  public func remindUnanswered(policy: InboundPolicy, at now: Date) async throws -> Int {
    let due = try await read { reader in
      try reader.strings(
        "SELECT id FROM inquiries WHERE alert_at IS NOT NULL AND alert_at <= ? ORDER BY alert_at LIMIT 50",
        [Timestamp.format(now)])
    }
    var reminded = 0
    for id in due {
      let sent = try await write { transaction -> Bool in
        guard
          let row = try transaction.row(
            "\(StoreRows.inquiryColumns) WHERE id = ? AND alert_at IS NOT NULL\(transaction.forUpdate)",
            [id])
        else { return false }
        let inquiry = try StoreRows.inquiry(from: row)
        try transaction.execute(
          "UPDATE inquiries SET alert_at = NULL, alerted_at = ? WHERE id = ?",
          [Timestamp.format(now), id])
        guard inquiry.state == .open, let routing = policy.routing(for: inquiry.audience),
          !routing.routes.isEmpty
        else { return false }
        var generator = SystemRandomNumberGenerator()
        // Bounded before it becomes a Duration: a clock set wrong cannot trap.
        let waited = Duration.wholeSeconds(now.timeIntervalSince(inquiry.receivedAt))
        let (message, deliveries) = InquiryMessages.forHandlers(
          inquiry, routes: routing.routes, policy: policy, waited: waited, at: now,
          using: &generator)
        try transaction.acceptComposed(message, deliveries: deliveries, at: now)
        try transaction.audit(
          AuditEvent(
            kind: "inquiry.reminded", at: now, messageID: message.id, actor: "commsd",
            detail: ["inquiry": id, "waited": DurationText.format(waited)]))
        return true
      }
      if sent { reminded += 1 }
    }
    return reminded
  }
}

extension StoreTransaction {
  /// The inquiry `id`, locked for a change on a shared store; refused when
  /// there is none, or when the retention period has taken its addresses.
  func inquiryForChange(_ id: InquiryID) throws -> Inquiry {
    guard
      let row = try row("\(StoreRows.inquiryColumns) WHERE id = ?\(forUpdate)", [id.rawValue])
    else { throw StoreError.refused(field: "inquiry", "no inquiry \(id)") }
    let inquiry = try StoreRows.inquiry(from: row)
    if inquiry.pseudonymisedAt != nil {
      throw StoreError.refused(
        field: "inquiry", "\(id) is past the retention period; its sender is no longer kept")
    }
    return inquiry
  }
}
