import Foundation

/// What waits for approval, and how it was decided: for `status`, the
/// dashboard, the report and the approval page.
extension Store {
  /// Every approval of `message`, with its votes, by audience.
  public func approvals(of message: MessageID) async throws -> [ApprovalRecord] {
    try await read { reader in try reader.approvalRecords(of: message) }
  }

  /// The approvals still waiting, oldest first, with their votes.
  public func awaitingApproval(limit: Int = 100) async throws -> [ApprovalRecord] {
    try await read { reader in
      let waiting = try reader.rows(
        """
        SELECT message_id, audience FROM approvals WHERE state = 'pending'
        ORDER BY requested_at, message_id, audience LIMIT ?
        """, [limit]
      ).map { (try $0[0] as String, try $0[1] as String) }
      var records: [String: [ApprovalRecord]] = [:]
      for id in Set(waiting.map(\.0)) {
        records[id] = try reader.approvalRecords(of: MessageID(rawValue: id))
      }
      return waiting.compactMap { id, audience in
        records[id]?.first { $0.audience == audience }
      }
    }
  }

  /// The page behind an approver's link: the notice delivery `delivery`
  /// names the approver and the message; nil when it asked nobody.
  public func approvalPage(of delivery: DeliveryID) async throws -> ApprovalPage? {
    try await read { reader in
      guard
        let request = try reader.rows(
          """
          SELECT r.message_id, r.recipient_id, d.recipient_name, d.language, d.created_at
          FROM approval_requests r JOIN deliveries d ON d.id = r.delivery_id
          WHERE r.delivery_id = ?
          """, [delivery.rawValue]
        ).first
      else { return nil }
      let id = MessageID(rawValue: try request[0])
      guard
        let message = try reader.rows("\(StoreRows.messageColumns) WHERE id = ?", [id.rawValue])
          .first.map(StoreRows.message(from:))
      else { return nil }
      let cancelled = try reader.rows(
        "SELECT cancelled_at FROM messages WHERE id = ?", [id.rawValue]
      ).first.flatMap { try $0[0] as String? }
      return ApprovalPage(
        message: message, approver: try request[1], approverName: try request[2],
        language: try request[3], askedAt: Timestamp.parse(try request[4]) ?? .distantPast,
        cancelled: cancelled != nil, records: try reader.approvalRecords(of: id))
    }
  }
}

extension StoreReader {
  func approvalRecords(of message: MessageID) throws -> [ApprovalRecord] {
    try ApprovalRecord.all(of: message) { sql, arguments in try rows(sql, arguments) }
  }
}

/// What an approver's link opens on: the message they are asked about,
/// who they are, and where the decision stands.
public struct ApprovalPage: Sendable, Equatable {
  public var message: Message
  public var approver: String
  public var approverName: String
  public var language: String
  public var askedAt: Date
  public var cancelled: Bool
  public var records: [ApprovalRecord]

  /// The audiences still waiting that this approver is asked for and has
  /// not voted on.
  public var open: [ApprovalRecord] {
    records.filter { record in
      record.state == .pending && record.approvers.contains { $0.id == approver }
        && !record.votes.contains { $0.approver == approver }
    }
  }
}
