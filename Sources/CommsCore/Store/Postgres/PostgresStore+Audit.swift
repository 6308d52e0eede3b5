import Foundation

/// Reading the one audit chain all nodes append to.
extension PostgresStore {
  public func verifyAudit() async throws -> AuditChain.Verdict {
    var previous: (sequence: Int64, hash: String) = (0, AuditChain.genesis)
    var count = 0
    while true {
      let after = previous.sequence
      let page = try await pool.read { connection in
        try connection.query(
          "\(StoreRows.linkColumns) WHERE seq > $1 ORDER BY seq LIMIT 5000", [after]
        ).map(StoreRows.link(from:))
      }
      guard let last = page.last else { break }
      if let (link, reason) = AuditChain.firstProblem(in: page, after: previous) {
        return .broken(sequence: link.sequence, kind: link.kind, reason: reason)
      }
      count += page.count
      previous = (last.sequence, last.hash)
    }
    return .intact(events: count, headSequence: previous.sequence, headHash: previous.hash)
  }

  public func auditLinks(since: Date, until: Date?, after sequence: Int64, limit: Int)
    async throws -> [AuditChain.Link]
  {
    try await pool.read { connection in
      try connection.query(
        """
        \(StoreRows.linkColumns) WHERE seq > $1 AND at >= $2 AND ($3::text IS NULL OR at < $3)
        ORDER BY seq LIMIT $4
        """,
        [sequence, Timestamp.format(since), until.map(Timestamp.format), limit]
      ).map(StoreRows.link(from:))
    }
  }
}
