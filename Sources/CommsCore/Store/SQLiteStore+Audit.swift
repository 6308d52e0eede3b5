import Foundation
import GRDB

/// Reading the audit chain: verification, its head, and exports.
extension SQLiteStore {
  /// Walks the whole chain in sequence order, a page at a time, and names
  /// the first event that was altered, removed or reordered.
  public func verifyAudit() async throws -> AuditChain.Verdict {
    try await pool.read { db in
      var previous: (sequence: Int64, hash: String) = (0, AuditChain.genesis)
      var count = 0
      while true {
        let page = try Row.fetchAll(
          db, sql: "\(StoreRows.linkColumns) WHERE seq > ? ORDER BY seq LIMIT 5000",
          arguments: [previous.sequence]
        ).map(StoreRows.link(from:))
        guard let last = page.last else { break }
        if let (link, reason) = AuditChain.firstProblem(in: page, after: previous) {
          return .broken(sequence: link.sequence, kind: link.kind, reason: reason)
        }
        count += page.count
        previous = (last.sequence, last.hash)
      }
      return .intact(events: count, headSequence: previous.sequence, headHash: previous.hash)
    }
  }

  /// Events from `since` (inclusive) to `until` (exclusive), in sequence
  /// order, a page at a time after `sequence`.
  public func auditLinks(since: Date, until: Date?, after sequence: Int64, limit: Int)
    async throws -> [AuditChain.Link]
  {
    try await pool.read { db in
      try Row.fetchAll(
        db,
        sql: """
          \(StoreRows.linkColumns) WHERE seq > ? AND at >= ? AND (? IS NULL OR at < ?)
          ORDER BY seq LIMIT ?
          """,
        arguments: [
          sequence, Timestamp.format(since), until.map(Timestamp.format),
          until.map(Timestamp.format), limit,
        ]
      ).map(StoreRows.link(from:))
    }
  }
}
