import Foundation

/// What a receipt did to its delivery.
public enum ReceiptOutcome: Sendable, Equatable {
  /// The delivery moved to this state (delivered, undeliverable), this
  /// long after the gateway took it (by the provider's time; nil when the
  /// acceptance time is not known).
  case applied(DeliveryState, latency: Duration?)
  /// The delivery is already in the state the receipt says: providers repeat them.
  case repeated
  /// Older than the receipt applied, or an UNDELIVERABLE for a delivery the
  /// handset confirmed: changes nothing (audited as `receipt.stale`).
  case stale
  /// A status on the way (ENROUTE, queued, …): nothing to record.
  case pending
  /// The delivery's attempt is not recorded yet (the receipt outran the
  /// recorder): the provider should send it again.
  case notYet
  /// No delivery of this endpoint has that reference (`receipt.unmatched`).
  case unmatched
}

/// Handset receipts (`POST /v1/receipts/NAME`) and their deadline.
extension Store {
  /// Applies `receipt` from endpoint `endpoint`, received `now`, by the
  /// rules of `DeliveryTransition.receiptDelivered` and
  /// `.receiptUndeliverable`; an undeliverable delivery is followed by the
  /// person's next contact, as a dead one is. `actor` names the caller for
  /// the audit log (the endpoint's receipts).
  public func applyReceipt(_ receipt: Receipt, endpoint: String, at now: Date) async throws
    -> ReceiptOutcome
  {
    try await write { transaction in
      try transaction.apply(receipt, endpoint: endpoint, at: now)
    }
  }

  /// Sent deliveries whose receipt deadline (`due_at`) has passed become
  /// `unconfirmed`, at most `limit` at a time; returns how many.
  public func expireReceipts(at now: Date, limit: Int = 500) async throws -> Int {
    try await write { transaction in
      let transition = DeliveryTransition.receiptTimeout
      let at = Timestamp.format(now)
      let rows = try transaction.rows(
        """
        UPDATE deliveries SET state = 'unconfirmed', updated_at = ?1
        WHERE id IN (
          SELECT id FROM deliveries WHERE \(transition.condition()) AND due_at <= ?1
          ORDER BY due_at LIMIT ?2\(transaction.forUpdateSkipLocked))
          AND \(transition.condition())
        RETURNING id, message_id, endpoint, sent_at
        """, [at, limit])
      for row in rows {
        var detail = ["endpoint": try row[2] as String? ?? ""]
        if let sent: String = try row[3] { detail["sent_at"] = sent }
        try transaction.audit(
          AuditEvent(
            kind: transition.event, at: now, messageID: MessageID(rawValue: try row[1]),
            deliveryID: DeliveryID(rawValue: try row[0]), actor: "receipts", detail: detail))
      }
      return rows.count
    }
  }
}

extension StoreTransaction {
  fileprivate func apply(_ receipt: Receipt, endpoint: String, at now: Date) throws
    -> ReceiptOutcome
  {
    let columns = "id, message_id, state, receipt_at, sent_at"
    var found: StoredRow?
    if let id = receipt.deliveryID {
      found = try row(
        "SELECT \(columns) FROM deliveries WHERE id = ? AND endpoint = ?\(forUpdate)",
        [id, endpoint])
    }
    if found == nil, let reference = receipt.providerRef {
      found = try row(
        """
        SELECT \(columns) FROM deliveries WHERE endpoint = ? AND provider_ref = ?
        ORDER BY created_at DESC LIMIT 1\(forUpdate)
        """, [endpoint, reference])
    }
    guard let found else {
      if receipt.result != .pending {
        var detail = ["endpoint": endpoint, "status": receipt.status]
        detail["reference"] = receipt.deliveryID
        detail["provider_ref"] = receipt.providerRef
        try audit(AuditEvent(kind: "receipt.unmatched", at: now, actor: "receipts", detail: detail))
      }
      return .unmatched
    }
    let id: String = try found[0]
    let message = MessageID(rawValue: try found[1])
    let stateText: String = try found[2]
    guard let state = DeliveryState(rawValue: stateText) else {
      throw StoreError.corrupt("delivery \(id) is in an unknown state \(stateText)")
    }
    let applied: Date? = (try found[3] as String?).flatMap(Timestamp.parse)
    let sentAt: Date? = (try found[4] as String?).flatMap(Timestamp.parse)
    let time = receipt.providerTime ?? now

    let target: DeliveryState
    let transition: DeliveryTransition
    let reason: String?
    switch receipt.result {
    case .pending: return .pending
    case .delivered:
      (target, transition, reason) = (.delivered, .receiptDelivered, nil)
    case .undeliverable(let why):
      (target, transition, reason) = (.undeliverable, .receiptUndeliverable, why)
    }
    if state == .sending || state == .ready || state == .retrying { return .notYet }
    if state == target { return .repeated }
    // Ordered by the provider's time: an UNDELIVERABLE is overturned only
    // by a DELIVERED timed at or after it; a DELIVERED never.
    let older = applied.map { time < $0 } ?? false
    guard transition.applies(to: state), !older else {
      var detail = [
        "endpoint": endpoint, "status": receipt.status, "state": state.rawValue,
        "provider_time": Timestamp.format(time),
      ]
      detail["applied_receipt_time"] = applied.map(Timestamp.format)
      try audit(
        AuditEvent(
          kind: "receipt.stale", at: now, messageID: message, deliveryID: DeliveryID(rawValue: id),
          actor: "receipts", detail: detail))
      return .stale
    }
    let moved = try rows(
      """
      UPDATE deliveries SET state = ?1, receipt_at = ?2, updated_at = ?3,
        delivered_at = CASE WHEN ?1 = 'delivered' THEN ?2 ELSE delivered_at END,
        last_error = CASE WHEN ?1 = 'delivered' THEN NULL ELSE ?4 END,
        provider_ref = COALESCE(provider_ref, ?5)
      WHERE id = ?6 AND \(transition.condition())
      RETURNING id
      """,
      [
        target.rawValue, Timestamp.format(time), Timestamp.format(now), reason,
        receipt.providerRef, id,
      ])
    guard !moved.isEmpty else {
      throw StoreError.illegalTransition(transition, id: id, state: state)
    }
    var detail = [
      "endpoint": endpoint, "status": receipt.status, "provider_time": Timestamp.format(time),
      "previous": state.rawValue,
    ]
    detail["provider_ref"] = receipt.providerRef
    var latency: Duration?
    if let sentAt {
      // Both times are bounded (a provider's up to 2100), so this fits.
      let milliseconds = min(max(0, time.timeIntervalSince(sentAt) * 1000), 1e13).rounded()
      let whole = Int64(exactly: milliseconds) ?? 0
      detail["latency_ms"] = String(whole)
      latency = .milliseconds(whole)
    }
    try audit(
      AuditEvent(
        kind: transition.event, at: now, messageID: message, deliveryID: DeliveryID(rawValue: id),
        actor: "receipts", detail: detail, personal: reason.map { ["reason": $0] } ?? [:]))
    if target == .undeliverable {
      try fallBack(
        from: AttemptRecord(
          deliveryID: DeliveryID(rawValue: id), messageID: message, newState: .undeliverable,
          dueAt: nil, at: now, target: endpoint, statusCode: 0, error: reason, duration: .zero,
          attempt: 0),
        owner: "receipts")
    }
    return .applied(target, latency: latency)
  }
}
