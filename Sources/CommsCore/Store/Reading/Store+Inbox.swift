import Foundation

/// Which inquiries `commsd inbox list` (and `GET /v1/inquiries`) shows.
public struct InboxFilter: Sendable, Equatable {
  /// Only these states; empty: every state.
  public var states: Set<Inquiry.State>
  public var audience: String?
  /// Only those from senders commsd does not know.
  public var unmatchedOnly: Bool
  public var assignee: String?
  /// Only those from this person (a recipient id).
  public var recipientID: String?
  public var limit: Int

  public init(
    states: Set<Inquiry.State> = [.open], audience: String? = nil, unmatchedOnly: Bool = false,
    assignee: String? = nil, limit: Int = 200
  ) {
    self.states = states
    self.audience = audience
    self.unmatchedOnly = unmatchedOnly
    self.assignee = assignee
    self.limit = limit
  }
}

/// One inquiry as `commsd inbox show` tells it: the inquiry, the subject
/// of the bulletin it answers, and where its answer got to.
public struct InquiryDetail: Sendable, Equatable {
  public var inquiry: Inquiry
  public var bulletinSubject: String?
  /// The answer's delivery state (`sent`, `delivered`, …), once answered.
  public var answerState: String?
  /// The handlers' copies: route and delivery state.
  public var forwards: [(route: String, state: String)]

  public static func == (lhs: InquiryDetail, rhs: InquiryDetail) -> Bool {
    lhs.inquiry == rhs.inquiry && lhs.bulletinSubject == rhs.bulletinSubject
      && lhs.answerState == rhs.answerState
      && lhs.forwards.map(\.route) == rhs.forwards.map(\.route)
      && lhs.forwards.map(\.state) == rhs.forwards.map(\.state)
  }
}

extension Store {
  /// How many inquiries are open, and when the oldest came (the dashboard).
  public func openInquiries() async throws -> (count: Int, oldest: Date?) {
    try await read { reader in
      guard
        let row = try reader.rows(
          "SELECT COUNT(*), MIN(received_at) FROM inquiries WHERE state = 'open'"
        ).first
      else { return (0, nil) }
      return (try row[0], (try row[1] as String?).flatMap(Timestamp.parse))
    }
  }

  /// The inquiries `filter` lets through, newest first.
  public func inquiries(_ filter: InboxFilter) async throws -> [Inquiry] {
    try await read { reader in try Self.inquiries(reader, filter) }
  }

  /// One inquiry with its bulletin's subject and the state of its answer
  /// and of the handlers' copies; nil if there is no such inquiry.
  public func inquiryDetail(_ id: InquiryID) async throws -> InquiryDetail? {
    try await read { reader in
      guard
        let row = try reader.rows("\(StoreRows.inquiryColumns) WHERE id = ?", [id.rawValue]).first
      else { return nil }
      let inquiry = try StoreRows.inquiry(from: row)
      var detail = InquiryDetail(
        inquiry: inquiry, bulletinSubject: nil, answerState: nil, forwards: [])
      if let message = inquiry.messageID,
        let row = try reader.rows("\(StoreRows.messageColumns) WHERE id = ?", [message.rawValue])
          .first
      {
        detail.bulletinSubject = try StoreRows.message(from: row)
          .content(for: inquiry.language).content.subject
      }
      if let answer = inquiry.answerMessageID {
        detail.answerState = try reader.strings(
          "SELECT state FROM deliveries WHERE message_id = ? ORDER BY created_at DESC LIMIT 1",
          [answer.rawValue]
        ).first
      }
      for row in try reader.rows(
        """
        SELECT d.recipient_name, d.state FROM deliveries d JOIN messages m ON m.id = d.message_id
        WHERE m.kind = 'inquiry' AND m.inquiry LIKE ? ORDER BY d.created_at
        """, ["%\"id\":\"\(id.rawValue)\"%"])
      {
        detail.forwards.append((try row[0], try row[1]))
      }
      return detail
    }
  }

  static func inquiries(_ reader: StoreReader, _ filter: InboxFilter) throws -> [Inquiry] {
    var conditions: [String] = []
    var arguments: [String] = []
    if !filter.states.isEmpty {
      conditions.append(
        "state IN ("
          + filter.states.sorted { $0.rawValue < $1.rawValue }.map { _ in "?" }
          .joined(separator: ", ") + ")")
      arguments += filter.states.map(\.rawValue).sorted()
    }
    if let audience = filter.audience {
      conditions.append("audience = ?")
      arguments.append(audience)
    }
    if filter.unmatchedOnly { conditions.append("recipient_id IS NULL") }
    if let assignee = filter.assignee {
      conditions.append("assignee = ?")
      arguments.append(assignee)
    }
    if let recipient = filter.recipientID {
      conditions.append("recipient_id = ?")
      arguments.append(recipient)
    }
    let clause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    return try reader.rows(
      "\(StoreRows.inquiryColumns)\(clause) ORDER BY received_at DESC, id DESC LIMIT \(max(1, min(filter.limit, 10_000)))",
      arguments
    ).map(StoreRows.inquiry(from:))
  }
}

extension StoreRows {
  static let inquiryColumns = """
    SELECT id, received_at, channel, source, sender, sender_name, subject, text, recipient_id,
      recipient_name, audience, unit, language, message_id, delivery_id, bulletin, matched_by, state,
      assignee, answered_at, answered_by, answer_message_id, closed_at, closed_by, close_reason,
      alert_at, alerted_at, acknowledgement_id, pseudonymised_at FROM inquiries
    """

  static func inquiry(from row: some TableRow) throws -> Inquiry {
    let id: String = try row[0]
    guard let receivedAt = Timestamp.parse(try row[1]),
      let channel = InboundChannel(rawValue: try row[2]),
      let match = Inquiry.Match(rawValue: try row[16]),
      let state = Inquiry.State(rawValue: try row[17])
    else { throw StoreError.corrupt("inquiry \(id)") }
    func time(_ index: Int) throws -> Date? { (try row[index] as String?).flatMap(Timestamp.parse) }
    return Inquiry(
      id: InquiryID(rawValue: id), receivedAt: receivedAt, channel: channel, source: try row[3],
      from: try row[4], fromName: try row[5], subject: try row[6], text: try row[7],
      recipientID: try row[8], recipientName: try row[9], audience: try row[10], unit: try row[11],
      language: try row[12], messageID: (try row[13] as String?).map(MessageID.init(rawValue:)),
      deliveryID: (try row[14] as String?).map(DeliveryID.init(rawValue:)), bulletin: try row[15],
      match: match, state: state, assignee: try row[18], answeredAt: try time(19),
      answeredBy: try row[20],
      answerMessageID: (try row[21] as String?).map(MessageID.init(rawValue:)),
      closedAt: try time(22), closedBy: try row[23], closeReason: try row[24],
      alertAt: try time(25), alertedAt: try time(26),
      acknowledgementID: (try row[27] as String?).map(MessageID.init(rawValue:)),
      pseudonymisedAt: try time(28))
  }
}
