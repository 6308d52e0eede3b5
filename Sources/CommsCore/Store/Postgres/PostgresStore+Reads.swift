import Foundation

/// Reads: what Dose weighs, digests due, CAP look-ups, status and the
/// operator's counts. Each runs in one snapshot (`PostgresPool.read`).
extension PostgresStore {
  /// SQLite's `lineColumns` in PostgreSQL's dialect (contacts are JSON text).
  static let lineColumns = SQLiteStore.lineColumns.replacingOccurrences(
    of: "json_array_length(contacts)", with: "json_array_length(contacts::json)")

  public func dosingHistory(
    audiences: [String], since: Date, latestSince: Date?
  ) async throws -> DosingHistory {
    try await pool.read { connection in
      var history = DosingHistory()
      if !audiences.isEmpty {
        let rows = try connection.query(
          """
          SELECT audience, recipient_id, due_at FROM deliveries
          WHERE audience = ANY($1::text[]) AND priority IN ('normal', 'bulk') AND contact_index = 0
            AND state != 'cancelled' AND due_at >= $2
          ORDER BY due_at
          """, [Self.textArray(audiences), Timestamp.format(since)])
        for row in rows {
          guard let due = Timestamp.parse(row[2]) else { continue }
          history.dosed[row[0], default: [:]][row[1], default: []].append(due)
        }
      }
      if let latestSince {
        for row in try connection.query(
          """
          SELECT recipient_id, MAX(due_at) FROM deliveries
          WHERE contact_index = 0 AND state != 'cancelled' AND due_at >= $1
          GROUP BY recipient_id
          """, [Timestamp.format(latestSince)])
        {
          if let latest = Timestamp.parse(row[1]) { history.latest[row[0]] = latest }
        }
      }
      return history
    }
  }

  /// `values` as a PostgreSQL array literal (`{"a","b"}`), for `= ANY($n::text[])`.
  static func textArray(_ values: [String]) -> String {
    let quoted = values.map { value in
      "\""
        + value.replacingOccurrences(of: "\\", with: "\\\\")
        .replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
    return "{" + quoted.joined(separator: ",") + "}"
  }

  public func dueDigestItems(now: Date) async throws -> [Delivery] {
    try await pool.read { connection in
      try connection.query(
        """
        SELECT \(SQLiteStore.deliveryColumns), contacts FROM deliveries
        WHERE state = 'held' AND due_at <= $1 AND hold_reason IN ($2, $3)
        ORDER BY recipient_id, audience, bulletin
        """,
        [Timestamp.format(now), HoldReason.digest.rawValue, HoldReason.capToDigest.rawValue]
      ).map { row in
        var delivery = try SQLiteStore.delivery(from: row)
        delivery.contacts =
          (try? JSONCoding.decoder().decode(
            [Contact].self, from: Data((row[SQLiteStore.deliveryColumnCount] as String).utf8)))
          ?? [delivery.contact]
        return delivery
      }
    }
  }

  public func message(capSender: String, identifier: String) async throws -> MessageID? {
    try await pool.read { connection in
      try connection.query(
        """
        SELECT id FROM messages WHERE cap_sender = $1 AND cap_identifier = $2
        ORDER BY accepted_at, id LIMIT 1
        """, [capSender, identifier]
      ).first.map { MessageID(rawValue: $0[0]) }
    }
  }

  public func latestVersion(of id: MessageID) async throws -> (id: MessageID, cancelledAt: Date?) {
    try await pool.read { connection in
      var latest = id.rawValue
      for _ in 0..<10_000 {
        guard
          let newer: String = try connection.query(
            "SELECT id FROM messages WHERE supersedes = $1", [latest]
          ).first?[0]
        else { break }
        latest = newer
      }
      let cancelled: String? = try connection.query(
        "SELECT cancelled_at FROM messages WHERE id = $1", [latest]
      ).first?[0]
      return (MessageID(rawValue: latest), cancelled.flatMap(Timestamp.parse))
    }
  }

  public func cancellation(of id: MessageID) async throws -> CancellationRecord? {
    try await pool.read { connection in
      guard
        let row = try connection.query(
          """
          SELECT cancelled_at, cancel_reason,
            (SELECT r.id FROM messages r WHERE r.retraction_of = messages.id)
          FROM messages WHERE id = $1 AND cancelled_at IS NOT NULL
          """, [id.rawValue]
        ).first,
        let at = (row[0] as String?).flatMap(Timestamp.parse)
      else { return nil }
      return CancellationRecord(
        at: at, reason: row[1] ?? "",
        retraction: (row[2] as String?).map(MessageID.init(rawValue:)))
    }
  }

  public func status(of id: MessageID) async throws -> MessageStatus? {
    try await pool.read { connection in
      guard
        let row = try connection.query(
          "\(SQLiteStore.messageColumns) WHERE id = $1", [id.rawValue]
        ).first,
        let lifecycle = try connection.query(
          "SELECT \(SQLiteStore.lifecycleColumns) FROM messages WHERE id = $1", [id.rawValue]
        ).first
      else { return nil }
      let lines = try connection.query(
        """
        SELECT \(Self.lineColumns)
        FROM deliveries WHERE message_id = $1 ORDER BY audience, recipient_id, contact_index
        """, [id.rawValue])
      let bulletins = try connection.query(
        "SELECT audience, number FROM message_bulletins WHERE message_id = $1", [id.rawValue]
      ).reduce(into: [String: Int]()) { $0[$1[0]] = $1[1] }
      return SQLiteStore.status(
        of: try SQLiteStore.message(from: row), lifecycle: SQLiteStore.Lifecycle(row: lifecycle),
        lines: lines, bulletins: bulletins)
    }
  }

  public func deliveryPage(of id: MessageID, after: String?, limit: Int) async throws
    -> [MessageStatus.DeliveryLine]
  {
    try await pool.read { connection in
      try connection.query(
        """
        SELECT \(Self.lineColumns) FROM deliveries
        WHERE message_id = $1 AND id > $2 ORDER BY id LIMIT $3
        """, [id.rawValue, after ?? "", limit]
      ).map(SQLiteStore.deliveryLine(from:))
    }
  }

  public func auditEvents(messageID: MessageID) async throws -> [StoredAuditEvent] {
    try await pool.read { connection in
      try connection.query(
        "\(SQLiteStore.auditColumns) WHERE message_id = $1 ORDER BY seq", [messageID.rawValue]
      ).map(SQLiteStore.auditEvent(from:))
    }
  }

  public func auditEvents(kinds: [String]) async throws -> [StoredAuditEvent] {
    try await pool.read { connection in
      try connection.query(
        "\(SQLiteStore.auditColumns) WHERE kind = ANY($1::text[]) ORDER BY seq",
        [Self.textArray(kinds)]
      ).map(SQLiteStore.auditEvent(from:))
    }
  }

  public func queueCounts() async throws -> (queued: Int, held: Int, inFlight: Int) {
    try await pool.read { connection in
      let row = try connection.query(
        """
        SELECT COUNT(*) FILTER (WHERE state IN ('ready', 'retrying')),
          COUNT(*) FILTER (WHERE state = 'held'), COUNT(*) FILTER (WHERE state = 'sending')
        FROM deliveries WHERE state IN ('ready', 'retrying', 'held', 'sending')
        """)
      return (row[0][0], row[0][1], row[0][2])
    }
  }

  public func metricCounts() async throws -> StoreMetricCounts {
    try await pool.read { connection in
      var counts = StoreMetricCounts()
      for row in try connection.query(
        """
        SELECT state, channel, COALESCE(endpoint, ''), audience, COUNT(*) FROM deliveries
        GROUP BY 1, 2, 3, 4
        """)
      {
        counts.deliveries.append((row[0], row[1], row[2], row[3], row[4]))
      }
      for row in try connection.query(
        """
        SELECT lane, COUNT(*) FROM deliveries WHERE state IN ('ready', 'retrying') GROUP BY lane
        """)
      {
        counts.queueByLane[row[0]] = row[1]
      }
      for row in try connection.query(
        """
        SELECT COALESCE(hold_reason, 'unknown'), COUNT(*) FROM deliveries WHERE state = 'held'
        GROUP BY 1
        """)
      {
        counts.heldByReason[row[0]] = row[1]
      }
      return counts
    }
  }
}
