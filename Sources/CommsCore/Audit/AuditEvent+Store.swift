import Foundation

/// The events both stores write for the same state changes, made in one
/// place so their details (which reports and exports read) cannot drift
/// apart between SQLite and PostgreSQL.
extension AuditEvent {
  /// `message.accepted`, with the bulletin numbers taken for it.
  /// An audience that takes its number later (waiting for approval, a
  /// scheduled release) is listed as `audience #-`; the number is in the
  /// event that takes it (`approval.approved`, `message.planned`).
  static func accepted(_ message: Message, bulletins numbers: [String: Int]) -> AuditEvent {
    var detail = [
      "audiences": message.audiences.joined(separator: ","),
      "priority": message.priority.rawValue,
      "kind": message.kind.rawValue,
      "languages": message.contents.keys.sorted().joined(separator: ","),
      "bulletins": message.audiences.map { "\($0) #\(numbers[$0].map(String.init) ?? "-")" }
        .joined(separator: ","),
    ]
    if let notBefore = message.notBefore { detail["not_before"] = Timestamp.format(notBefore) }
    if let template = message.template { detail["template"] = template }
    if let draft = message.draft { detail["draft"] = draft.rawValue }
    return AuditEvent(
      kind: "message.accepted", at: message.acceptedAt, messageID: message.id,
      actor: message.sender.description, detail: detail)
  }

  /// The event of an attempt's outcome, `delivery.<state>`: the state it
  /// ended in (a withdrawal's, unless it was delivered).
  static func attempt(_ outcome: AttemptRecord, withdrawn: DeliveryState?, owner: String)
    -> AuditEvent
  {
    var state = outcome.newState
    if let withdrawn, !state.wentOut { state = withdrawn }
    let attempt = String(outcome.attempt)
    let duration = String(Duration.clampedMilliseconds(outcome.duration.seconds * 1000))
    let status = outcome.statusCode != 0 ? String(outcome.statusCode) : nil
    let due = outcome.dueAt.map(Timestamp.format)
    let receiptBy = state == .sent ? due : nil
    let retryAt = state != .sent && withdrawn == nil ? due : nil
    let kind = DeliveryState.attemptEventKinds[state] ?? "delivery.\(state.rawValue)"
    guard let error = outcome.error else {
      // Written straight into its JSON (keys in sorted order), not through
      // a dictionary: one of these is made for every delivery (issue 25).
      // `AttemptEventTests` holds it to the dictionary's bytes.
      var writer = JSONWriter(capacity: 128)
      writer.beginObject()
      writer.member("attempt", attempt)
      writer.member("duration_ms", duration)
      if let receiptBy { writer.member("receipt_by", receiptBy) }
      if let retryAt { writer.member("retry_at", retryAt) }
      if let status { writer.member("status", status) }
      writer.member("target", outcome.target)
      if let withdrawn { writer.member("withdrawn", withdrawn.rawValue) }
      writer.endObject()
      return AuditEvent(
        kind: kind, at: outcome.at, messageID: outcome.messageID,
        deliveryID: outcome.deliveryID, actor: owner,
        writtenDetail: String(decoding: writer.bytes, as: UTF8.self))
    }
    var detail = ["target": outcome.target, "attempt": attempt, "duration_ms": duration]
    detail["status"] = status
    detail["receipt_by"] = receiptBy
    detail["retry_at"] = retryAt
    detail["withdrawn"] = withdrawn?.rawValue
    return AuditEvent(
      kind: kind, at: outcome.at, messageID: outcome.messageID, deliveryID: outcome.deliveryID,
      actor: owner, detail: detail, personal: ["error": error])
  }

  /// `delivery.leased` for a lease batch; the attempt events that follow name each delivery.
  static func leased(
    _ deliveries: [Delivery], by owner: String, at: Date, until: Date, message: MessageID? = nil,
    lane: String? = nil
  ) -> AuditEvent {
    var detail = [
      "count": String(deliveries.count), "until": Timestamp.format(until),
      "deliveries": deliveries.map(\.id.rawValue).joined(separator: ","),
    ]
    detail["lane"] = lane
    return AuditEvent(
      kind: "delivery.leased", at: at, messageID: message, actor: owner, detail: detail)
  }

  /// `delivery.lease_renewed`: leases a dispatcher still holds (waiting in
  /// its buffer behind a slow endpoint, or in flight) extended to `until`,
  /// so that no other node takes them back and sends them a second time.
  static func leaseRenewed(_ ids: [String], by owner: String, at: Date, until: Date)
    -> AuditEvent
  {
    AuditEvent(
      kind: "delivery.lease_renewed", at: at, actor: owner,
      detail: [
        "count": String(ids.count), "until": Timestamp.format(until),
        "deliveries": ids.joined(separator: ","),
      ])
  }
}

extension AuditEvent {
  /// `digest.created`, naming the items it carries.
  static func digestCreated(_ digest: Digest, at: Date) -> AuditEvent {
    AuditEvent(
      kind: "digest.created", at: at, messageID: digest.message.id,
      deliveryID: digest.delivery.id, actor: "commsd",
      detail: [
        "recipient": digest.delivery.recipientID, "audience": digest.delivery.audience,
        "items": digest.items.map(\.rawValue).joined(separator: ","),
      ])
  }
}

/// A digest whose items another builder took first: the transaction that
/// would have written it a second time is rolled back.
struct DigestTaken: Error {}

extension Cancellation {
  /// Why the store refuses this cancellation of a message in the given
  /// state, or nil: already cancelled, a retraction itself, or (with a
  /// retraction to send) its readers' contact data already pseudonymised.
  func refusal(cancelledAt: String?, pseudonymisedAt: String?, kind: String) -> StoreError? {
    let id = messageID
    if let cancelledAt {
      return .refused(field: "id", "\(id) was already cancelled at \(cancelledAt)")
    }
    if kind == MessageKind.retraction.rawValue {
      return .refused(
        field: "id", "\(id) is a retraction; it corrects a withdrawn message and stays")
    }
    if retraction != nil, let pseudonymisedAt {
      return .refused(
        field: "notify",
        "\(id)'s contact data was replaced by keyed hashes at \(pseudonymisedAt) (retention period): a retraction cannot reach its readers"
      )
    }
    return nil
  }
}

extension StoreError {
  /// Why a dead letter of a pseudonymised message is not retried: its
  /// contacts are keyed hashes, and `hmac-sha256:…` must not reach a gateway.
  static func pseudonymisedRetry(_ id: String, at: String) -> StoreError {
    .refused(
      field: "id",
      "\(id) belongs to a message whose personal data was replaced by keyed hashes at \(at) (retention period): nobody can be reached by it; send a new message instead"
    )
  }
}
