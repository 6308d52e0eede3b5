import Foundation

/// Verifying the one audit chain all nodes append to, in one snapshot.
extension PostgresStore {
  public func verifyAudit() async throws -> AuditChain.Verdict {
    try await pool.read { connection in
      try AuditChain.verify { after in
        try connection.query(
          "\(StoreRows.linkColumns) WHERE seq > $1 ORDER BY seq LIMIT 5000", [after]
        ).map(StoreRows.link(from:))
      }
    }
  }
}
