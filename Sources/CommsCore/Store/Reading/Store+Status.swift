import Foundation

/// A message's status, its audit events and the queue's counts, read the
/// same way from either store.
extension Store {
  public func status(of id: MessageID) async throws -> MessageStatus? {
    try await read { reader in
      guard let (message, lifecycle) = try Self.messageWithLifecycle(reader, id) else {
        return nil
      }
      let lines = try reader.rows(
        """
        SELECT \(StoreRows.lineColumns(reader))
        FROM deliveries WHERE message_id = ? ORDER BY audience, recipient_id, contact_index
        """, [id.rawValue])
      var status = try StoreRows.status(
        of: message, lifecycle: lifecycle, lines: lines, bulletins: try Self.bulletins(reader, id))
      if let request = message.confirmation {
        var people: [String: String] = [:]
        for line in status.deliveries where line.wave == nil {
          people[line.recipient] = line.recipientName
        }
        let confirmations = try Self.confirmations(reader, message)
        status.confirmation = ConfirmationSummary.make(
          request: request, acceptedAt: message.startsAt, people: people,
          unreachable: Set(status.recipients.unreachable), confirmations: confirmations)
        status.confirmation?.waves = ConfirmationSummary.waves(
          try Self.waves(reader, message), lines: status.deliveries, confirmations: confirmations)
        status.confirmation?.nextWaveAt = try Self.nextWave(reader, message)
      }
      let approvals = try reader.approvalRecords(of: id)
      if !approvals.isEmpty { status.approvals = approvals }
      status.notBefore = message.notBefore
      status.template = message.template
      status.draft = message.draft?.rawValue
      return status
    }
  }

  /// The first delivery of message `id` to `recipient` (their first
  /// contact), or nil when none went to them.
  public func firstDelivery(of id: MessageID, to recipient: String) async throws -> DeliveryID? {
    try await read { reader in
      try reader.strings(
        """
        SELECT id FROM deliveries WHERE message_id = ? AND recipient_id = ?
        ORDER BY contact_index, id LIMIT 1
        """, [id.rawValue, recipient]
      ).first.map(DeliveryID.init(rawValue:))
    }
  }

  /// The confirmations of `message`: person, time, way, late.
  static func confirmations(_ reader: StoreReader, _ message: Message) throws
    -> [ConfirmationSummary.Entry]
  {
    let rows = try reader.rows(
      "SELECT recipient_id, confirmed_at, via, late FROM confirmations WHERE message_id = ?",
      [message.id.rawValue])
    return try rows.map { row in
      (
        person: try row[0] as String, at: Timestamp.parse(try row[1]) ?? message.acceptedAt,
        way: try row[2] as String, late: (try row[3] as Int) != 0
      )
    }
  }

  /// The escalation waves planned for `message`, in order.
  static func waves(_ reader: StoreReader, _ message: Message) throws -> [ConfirmationSummary.Wave]
  {
    try reader.rows(
      """
      SELECT wave, planned_at, target, chased, deliveries FROM confirmation_waves
      WHERE message_id = ? ORDER BY wave
      """, [message.id.rawValue]
    ).map { row in
      ConfirmationSummary.Wave(
        number: try row[0], plannedAt: Timestamp.parse(try row[1]) ?? message.acceptedAt,
        target: try row[2], chased: try row[3], deliveries: try row[4])
    }
  }

  /// When `message`'s next wave is due, if one is.
  static func nextWave(_ reader: StoreReader, _ message: Message) throws -> Date? {
    try reader.strings(
      "SELECT next_wave_at FROM messages WHERE id = ? AND next_wave_at IS NOT NULL",
      [message.id.rawValue]
    ).first.flatMap(Timestamp.parse)
  }

  /// One page of a message's deliveries in id order (ids grow with time),
  /// after `after` (a delivery id), for the HTTP API.
  public func deliveryPage(of id: MessageID, after: String?, limit: Int) async throws
    -> [MessageStatus.DeliveryLine]
  {
    try await read { reader in
      try reader.rows(
        """
        SELECT \(StoreRows.lineColumns(reader)) FROM deliveries
        WHERE message_id = ? AND id > ? ORDER BY id LIMIT ?
        """, [id.rawValue, after ?? "", limit]
      ).map(StoreRows.deliveryLine(from:))
    }
  }

  /// Message `id` and its lifecycle, or nil when there is no such message.
  static func messageWithLifecycle(_ reader: StoreReader, _ id: MessageID) throws
    -> (Message, StoreRows.Lifecycle)?
  {
    guard
      let row = try reader.rows("\(StoreRows.messageColumns) WHERE id = ?", [id.rawValue]).first,
      let lifecycle = try reader.rows(
        "SELECT \(StoreRows.lifecycleColumns) FROM messages WHERE id = ?", [id.rawValue]
      ).first
    else { return nil }
    return (try StoreRows.message(from: row), try StoreRows.Lifecycle(row: lifecycle))
  }

  /// The bulletin number of each of the message's audiences.
  static func bulletins(_ reader: StoreReader, _ id: MessageID) throws -> [String: Int] {
    try reader.rows(
      "SELECT audience, number FROM message_bulletins WHERE message_id = ?", [id.rawValue]
    ).reduce(into: [String: Int]()) { $0[try $1[0]] = try $1[1] }
  }

  public func auditEvents(messageID: MessageID) async throws -> [StoredAuditEvent] {
    try await read { reader in
      try reader.rows(
        "\(StoreRows.auditColumns) WHERE message_id = ? ORDER BY seq", [messageID.rawValue]
      ).map(StoreRows.auditEvent(from:))
    }
  }

  public func auditEvents(kinds: [String]) async throws -> [StoredAuditEvent] {
    try await read { reader in
      let marks = Array(repeating: "?", count: kinds.count).joined(separator: ", ")
      return try reader.rows(
        "\(StoreRows.auditColumns) WHERE kind IN (\(marks)) ORDER BY seq", kinds
      ).map(StoreRows.auditEvent(from:))
    }
  }

  /// The newest event's sequence and hash, or nil for an empty log.
  public func auditHead() async throws -> (sequence: Int64, hash: String)? {
    try await read { reader in
      try reader.rows("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        .first.map { (try $0[0], try $0[1]) }
    }
  }

  /// The stored hash of event `sequence`, to compare with a head logged earlier.
  public func auditHash(at sequence: Int64) async throws -> String? {
    try await read { reader in
      try reader.strings("SELECT hash FROM audit_events WHERE seq = ?", [sequence]).first
    }
  }

  /// Events from `since` (inclusive) to `until` (exclusive), in sequence
  /// order, a page at a time after `sequence` (`audit export`, the API).
  public func auditLinks(since: Date, until: Date?, after sequence: Int64, limit: Int)
    async throws -> [AuditChain.Link]
  {
    try await read { reader in
      try reader.rows(
        """
        \(StoreRows.linkColumns) WHERE seq > ?1 AND at >= ?2
          AND (CAST(?3 AS TEXT) IS NULL OR at < ?3)
        ORDER BY seq LIMIT ?4
        """, [sequence, Timestamp.format(since), until.map(Timestamp.format), limit]
      ).map(StoreRows.link(from:))
    }
  }

  /// Deliveries waiting to go, held, and leased (in flight), each counted
  /// on its partial index (for systemd's STATUS line).
  public func queueCounts() async throws -> (queued: Int, held: Int, inFlight: Int) {
    try await read { reader in
      func count(_ condition: String) throws -> Int {
        try reader.rows("SELECT COUNT(*) FROM deliveries WHERE \(condition)").first?[0] ?? 0
      }
      return (
        try count("state IN ('ready', 'retrying')"), try count("state = 'held'"),
        try count("state = 'sending'")
      )
    }
  }

  /// The counts for `/metrics`. The first grouping reads every delivery
  /// (about 0.3 s per million on this machine, on a reader: writers are not
  /// held up); a scrape every 15–60 s is what it is made for.
  public func metricCounts() async throws -> StoreMetricCounts {
    try await read { reader in
      var counts = StoreMetricCounts()
      for row in try reader.rows(
        """
        SELECT state, channel, COALESCE(endpoint, ''), audience, COUNT(*) FROM deliveries
        GROUP BY 1, 2, 3, 4
        """)
      {
        counts.deliveries.append((try row[0], try row[1], try row[2], try row[3], try row[4]))
      }
      for row in try reader.rows(
        "SELECT lane, COUNT(*) FROM deliveries WHERE state IN ('ready', 'retrying') GROUP BY lane")
      {
        counts.queueByLane[try row[0]] = try row[1]
      }
      for row in try reader.rows(
        """
        SELECT COALESCE(hold_reason, 'unknown'), COUNT(*) FROM deliveries WHERE state = 'held'
        GROUP BY 1
        """)
      {
        counts.heldByReason[try row[0]] = try row[1]
      }
      for row in try reader.rows(
        """
        SELECT priority, COUNT(*) FROM messages WHERE planned_at IS NULL AND not_before IS NULL
          AND NOT \(PlanningQueue.heldForApproval)
        GROUP BY 1
        """)
      {
        if let priority = Priority(rawValue: try row[0]) {
          counts.unplannedByPriority[priority] = try row[1]
        }
      }
      return counts
    }
  }
}
