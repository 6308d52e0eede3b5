import Foundation

/// Drafts: stored and audited, never sent by the store. Each change is one
/// transaction with its audit event (`draft.created`, `draft.edited`,
/// `draft.sent`, `draft.discarded`), naming who did it.
extension Store {
  /// Stores a new draft; returns its id.
  public func createDraft(_ content: DraftContent, by actor: String, at: Date) async throws
    -> DraftID
  {
    var generator = SystemRandomNumberGenerator()
    let id = DraftID(rawValue: ULID.make("drf_", at: at, using: &generator))
    try await write { transaction in
      try transaction.execute(
        """
        INSERT INTO drafts (id, state, content, revision, created_by, created_at, updated_by,
          updated_at)
        VALUES (?, 'open', ?, 1, ?, ?, ?, ?)
        """,
        [
          id.rawValue, JSONCoding.string(content), actor, Timestamp.format(at), actor,
          Timestamp.format(at),
        ])
      try transaction.audit(
        AuditEvent(
          kind: "draft.created", at: at, actor: actor,
          detail: Self.draftDetail(id, content, revision: 1)))
    }
    return id
  }

  /// Replaces an open draft's content. With `revision`, only when the draft
  /// is still at it: two people editing at once do not overwrite each other
  /// unseen. Returns the new revision.
  public func editDraft(
    _ id: DraftID, _ content: DraftContent, revision expected: Int?, by actor: String, at: Date
  ) async throws -> Int {
    try await write { transaction in
      let current = try transaction.openDraftRevision(id)
      if let expected, expected != current {
        throw StoreError.refused(
          field: "revision",
          "\(id) is at revision \(current), not \(expected): someone edited it meanwhile; show it and edit again"
        )
      }
      try transaction.execute(
        """
        UPDATE drafts SET content = ?, revision = revision + 1, updated_by = ?, updated_at = ?
        WHERE id = ? AND state = 'open'
        """, [JSONCoding.string(content), actor, Timestamp.format(at), id.rawValue])
      try transaction.audit(
        AuditEvent(
          kind: "draft.edited", at: at, actor: actor,
          detail: Self.draftDetail(id, content, revision: current + 1)))
      return current + 1
    }
  }

  /// Closes an open draft as sent (as `message`) or discarded. A draft
  /// already sent as this message is left as it is (a retried send).
  public func closeDraft(
    _ id: DraftID, as state: Draft.State, message: MessageID? = nil, by actor: String, at: Date
  ) async throws {
    try await write { transaction in
      if state == .sent, let message,
        try transaction.row(
          "SELECT 1 FROM drafts WHERE id = ? AND state = 'sent' AND message_id = ?",
          [id.rawValue, message.rawValue]) != nil
      {
        return
      }
      _ = try transaction.openDraftRevision(id)
      guard
        let row = try transaction.row(
          """
          UPDATE drafts SET state = ?, closed_by = ?, closed_at = ?, message_id = ?
          WHERE id = ? AND state = 'open' RETURNING created_by, content
          """,
          [state.rawValue, actor, Timestamp.format(at), message?.rawValue, id.rawValue])
      else { return }
      var detail = ["draft": id.rawValue, "drafted_by": try row[0] as String]
      if let message { detail["message"] = message.rawValue }
      if let content = try? JSONCoding.decoder().decode(
        DraftContent.self, from: Data((try row[1] as String).utf8))
      {
        detail["audiences"] = content.audiences.joined(separator: ",")
      }
      try transaction.audit(
        AuditEvent(
          kind: state == .sent ? "draft.sent" : "draft.discarded", at: at, messageID: message,
          actor: actor, detail: detail))
    }
  }

  static func draftDetail(_ id: DraftID, _ content: DraftContent, revision: Int) -> [String: String]
  {
    var detail = [
      "draft": id.rawValue, "revision": String(revision),
      "audiences": content.audiences.joined(separator: ","), "priority": content.priority.rawValue,
    ]
    if let template = content.template { detail["template"] = template }
    if let notBefore = content.notBefore { detail["not_before"] = Timestamp.format(notBefore) }
    return detail
  }
}

extension StoreTransaction {
  /// The revision of open draft `id`; refused when there is none or it is closed.
  func openDraftRevision(_ id: DraftID) throws -> Int {
    guard
      let row = try row(
        "SELECT state, revision, message_id FROM drafts WHERE id = ?\(forUpdate)", [id.rawValue])
    else { throw StoreError.refused(field: "id", "there is no draft \(id)") }
    let state: String = try row[0]
    guard state == Draft.State.open.rawValue else {
      let message: String? = try row[2]
      throw StoreError.refused(
        field: "id",
        "\(id) was \(state)\(message.map { " as \($0)" } ?? ""); a closed draft does not change")
    }
    return try row[1]
  }
}

extension Store {
  /// The retention period for drafts: one sent or discarded before
  /// `cutoff` is deleted (a sent one's text lives on in its message, which
  /// the message retention rewrites; its audit events name no text). Open
  /// drafts stay: they are work in hand.
  func deleteClosedDrafts(before cutoff: Date, at now: Date) async throws -> Int {
    try await write { transaction in
      let deleted = try transaction.rows(
        "DELETE FROM drafts WHERE state <> 'open' AND closed_at < ? RETURNING id",
        [Timestamp.format(cutoff)])
      if !deleted.isEmpty {
        try transaction.audit(
          AuditEvent(
            kind: "drafts.deleted", at: now, actor: "commsd",
            detail: ["drafts": String(deleted.count), "closed_before": Timestamp.format(cutoff)]))
      }
      return deleted.count
    }
  }
}
