import Foundation

/// One write transaction on PostgreSQL, shared by several nodes.
///
/// The audit chain is one chain across all nodes, so appending to it is a
/// point where writers must take turns: its head is a single row
/// (`audit_head`) locked `FOR UPDATE`. To keep that turn short and free of
/// deadlocks, a transaction collects its events while it runs and chains
/// them only in `finish()`, just before the commit: after it holds the head
/// it locks nothing else, so it never waits for another transaction's rows
/// while others wait for the head. The chain's order is the commit order.
///
/// Withdrawals are numbered the same way, under the head: a reader asking
/// for those after N (`withdrawals(after:)`) can never miss one that
/// committed later with a smaller number, as a sequence would allow.
///
/// Notifications (`NOTIFY`) are sent with the commit, so other nodes wake
/// only for what is there to read.
final class PostgresTransaction {
  let connection: PostgresConnection
  private var events: [AuditEvent] = []
  private var withdrawals: [(message: String, state: String, at: String)] = []
  private var channels: Set<String> = []

  init(connection: PostgresConnection) {
    self.connection = connection
  }

  @discardableResult
  func query(
    _ sql: String, _ parameters: [(any PostgresParameter)?] = [], prepare: Bool = true
  ) throws -> [StoredRow] {
    try connection.query(sql, parameters, prepare: prepare)
  }

  /// Appends `event` to the audit chain when the transaction commits.
  func audit(_ event: AuditEvent) {
    events.append(event)
  }

  /// Records that `message` was withdrawn in `state`, numbered at commit.
  func withdrew(_ message: MessageID, as state: DeliveryState, at: String) {
    withdrawals.append((message.rawValue, state.rawValue, at))
  }

  /// Wakes the nodes listening on `channel` once this transaction commits.
  func notify(_ channel: PostgresChannel) {
    channels.insert(channel.rawValue)
  }

  /// Chains the events, numbers the withdrawals and queues the
  /// notifications; the caller commits next.
  func finish() throws {
    if !events.isEmpty || !withdrawals.isEmpty {
      let row = try connection.query(
        "SELECT seq, hash, withdrawal_seq FROM audit_head WHERE id = 1 FOR UPDATE")
      guard let head = row.first else { throw StoreError.corrupt("audit_head has no row") }
      var link = (sequence: try head[0] as Int64, hash: try head[1] as String)
      var withdrawal = try head[2] as Int64
      try insertEvents(after: &link)
      for item in withdrawals {
        withdrawal += 1
        try connection.query(
          "INSERT INTO withdrawals (seq, message_id, state, at) VALUES ($1, $2, $3, $4)",
          [withdrawal, item.message, item.state, item.at])
      }
      try connection.query(
        "UPDATE audit_head SET seq = $1, hash = $2, withdrawal_seq = $3 WHERE id = 1",
        [link.sequence, link.hash, withdrawal])
    }
    for channel in channels.sorted() {
      try connection.query("SELECT pg_notify($1, '')", [channel])
    }
  }

  /// Writes the collected events as links after `head`, many rows per
  /// statement (a batch of outcomes brings hundreds).
  private func insertEvents(after head: inout (sequence: Int64, hash: String)) throws {
    let columns = 10
    let perStatement = 400
    var start = 0
    while start < events.count {
      let part = events[start..<min(events.count, start + perStatement)]
      var values: [String] = []
      var parameters: [(any PostgresParameter)?] = []
      parameters.reserveCapacity(part.count * columns)
      for event in part {
        let link = AuditChain.Link(event: event, after: head)
        let base = parameters.count
        values.append(
          "(" + (1...columns).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
        parameters += [
          link.sequence, link.at, link.kind, link.messageID, link.deliveryID, link.actor,
          link.detail, link.previous, link.hash, link.personal,
        ]
        head = (link.sequence, link.hash)
      }
      try connection.query(
        """
        INSERT INTO audit_events (seq, at, kind, message_id, delivery_id, actor, detail, prev_hash,
          hash, personal)
        VALUES \(values.joined(separator: ", "))
        """, parameters, prepare: false)
      start += part.count
    }
  }
}

/// What a node listens for (`LISTEN`): new messages to plan, new work to send.
enum PostgresChannel: String, CaseIterable {
  case plan = "commsd_plan"
  case work = "commsd_work"
}
