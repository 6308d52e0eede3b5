import Foundation
import GRDB

/// One audience's approval of one message as the store has it: the rule
/// and approvers taken at acceptance, the votes, and how it was decided.
public struct ApprovalRecord: Sendable, Equatable, Codable {
  public struct Vote: Sendable, Equatable, Codable {
    public var audience: String
    public var approver: String
    public var decision: ApprovalDecision.Verdict
    public var via: String
    public var at: Date
    public var reason: String?
  }

  public var messageID: MessageID
  public var audience: String
  public var state: ApprovalGate.State
  public var approvers: [Approver]
  public var required: Int
  public var notSender: Bool
  public var othersWait: Bool
  public var requestedAt: Date
  /// When the approvers are told (again) next; nil once decided.
  public var remindAt: Date?
  public var reminders: Int
  public var timeoutAt: Date?
  public var timedOutAt: Date?
  public var onTimeout: String
  public var remindEvery: Int64
  public var decidedAt: Date?
  /// The approver (recipient id), the operator, `timeout`, or who
  /// withdrew it; `commsd` for flash.
  public var decidedBy: String?
  /// `cli`, `api`, `link`, `teams`, `timeout`, `withdrawn`, `flash`.
  public var decidedVia: String?
  public var reason: String?
  public var votes: [Vote]

  enum CodingKeys: String, CodingKey {
    case audience, state, approvers, required, reminders, reason, votes
    case messageID = "message_id"
    case notSender = "not_sender"
    case othersWait = "others_wait"
    case requestedAt = "requested_at"
    case remindAt = "remind_at"
    case timeoutAt = "timeout_at"
    case timedOutAt = "timed_out_at"
    case onTimeout = "on_timeout"
    case remindEvery = "remind_every_seconds"
    case decidedAt = "decided_at"
    case decidedBy = "decided_by"
    case decidedVia = "decided_via"
  }

  /// From the request to the decision, when decided.
  public var latency: TimeInterval? { decidedAt.map { $0.timeIntervalSince(requestedAt) } }

  static let columns = """
    SELECT message_id, audience, state, approvers, required, not_sender, others_wait,
      requested_at, remind_at, reminders, timeout_at, timed_out_at, on_timeout, remind_every,
      decided_at, decided_by, decided_via, reason FROM approvals
    """

  init(from row: StoredRow, votes: [Vote]) throws {
    messageID = MessageID(rawValue: try row[0])
    audience = try row[1]
    state = ApprovalGate.State(rawValue: try row[2]) ?? .pending
    approvers =
      (try? JSONCoding.decoder().decode([Approver].self, from: Data((try row[3] as String).utf8)))
      ?? []
    required = try row[4]
    notSender = try (row[5] as Int) != 0
    othersWait = try (row[6] as Int) != 0
    requestedAt = Timestamp.parse(try row[7]) ?? .distantPast
    remindAt = (try row[8] as String?).flatMap(Timestamp.parse)
    reminders = try row[9]
    timeoutAt = (try row[10] as String?).flatMap(Timestamp.parse)
    timedOutAt = (try row[11] as String?).flatMap(Timestamp.parse)
    onTimeout = try row[12]
    remindEvery = try row[13]
    decidedAt = (try row[14] as String?).flatMap(Timestamp.parse)
    decidedBy = try row[15]
    decidedVia = try row[16]
    reason = try row[17]
    let audience = audience
    self.votes = votes.filter { $0.audience == audience }
  }

  /// Every approval of `message` with its votes, read through `rows` (a
  /// transaction's or a reader's).
  static func all(
    of message: MessageID,
    rows: (String, [(any DatabaseValueConvertible)?]) throws -> [StoredRow]
  ) throws -> [ApprovalRecord] {
    let votes = try rows(
      """
      SELECT audience, approver, decision, via, at, reason FROM approval_votes
      WHERE message_id = ? ORDER BY at
      """, [message.rawValue]
    ).map(vote(from:))
    return try rows("\(columns) WHERE message_id = ? ORDER BY audience", [message.rawValue])
      .map { try ApprovalRecord(from: $0, votes: votes) }
  }

  static func vote(from row: StoredRow) throws -> Vote {
    Vote(
      audience: try row[0], approver: try row[1],
      decision: ApprovalDecision.Verdict(rawValue: try row[2]) ?? .reject, via: try row[3],
      at: Timestamp.parse(try row[4]) ?? .distantPast, reason: try row[5])
  }

  /// One line: "citizens approved by pol-001 (link) at …".
  public var summary: String {
    switch state {
    case .pending:
      "\(audience) awaiting approval (\(votes.filter { $0.decision == .approve }.count) of \(required))"
    case .bypassed: "\(audience) sent without approval (flash)"
    default:
      "\(audience) \(state.rawValue) by \(decidedBy ?? "?")"
        + (decidedVia.map { " (\($0))" } ?? "")
        + (decidedAt.map { " at \(Timestamp.format($0))" } ?? "")
    }
  }
}
