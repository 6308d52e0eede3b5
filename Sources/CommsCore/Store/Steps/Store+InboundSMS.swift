import Foundation

/// What an SMS a reader sent back did.
public enum InboundSMSOutcome: Sendable, Equatable {
  /// It confirmed the latest message asking this number to (see
  /// `ConfirmationOutcome`).
  case confirmation(ConfirmationOutcome)
  /// A reply that is no confirmation word, kept in the audit log for the
  /// people who answer questions; `delivery` is what it answers, if found.
  case reply(delivery: DeliveryID?)
}

extension Store {
  /// Takes an SMS from `sms.from` that came in through `endpoint`: when
  /// `confirms`, it confirms the newest delivery over that endpoint to that
  /// number of a message accepted since `since` that asks for confirmation
  /// and is not cancelled; otherwise (or when there is none) it is audited
  /// as `sms.received`, its sender and text as personal data.
  public func receiveSMS(
    _ sms: InboundSMS, endpoint: String, confirms: Bool, since: Date, at now: Date
  ) async throws -> InboundSMSOutcome {
    try await write(.urgent) { transaction in
      let delivery = try transaction.row(
        """
        SELECT d.id, d.message_id FROM deliveries d JOIN messages m ON m.id = d.message_id
        WHERE m.confirmation IS NOT NULL AND m.cancelled_at IS NULL AND m.accepted_at >= ?
          AND d.endpoint = ? AND d.address = ?
        ORDER BY m.accepted_at DESC, d.id DESC LIMIT 1
        """, [Timestamp.format(since), endpoint, sms.from]
      ).map { (DeliveryID(rawValue: try $0[0]), MessageID(rawValue: try $0[1])) }
      if confirms, let (delivery, _) = delivery {
        return .confirmation(
          try transaction.confirm(
            Confirmation(deliveryID: delivery, way: .sms, at: now, actor: "sms:\(endpoint)")))
      }
      var detail = ["endpoint": endpoint, "confirms": confirms ? "true" : "false"]
      if let ref = sms.providerRef { detail["provider_ref"] = ref }
      try transaction.audit(
        AuditEvent(
          kind: "sms.received", at: now,
          messageID: delivery?.1, deliveryID: delivery?.0, actor: "sms:\(endpoint)", detail: detail,
          personal: ["from": sms.from, "text": sms.text]))
      return .reply(delivery: delivery?.0)
    }
  }
}
