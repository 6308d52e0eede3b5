import Foundation
import GRDB

/// Reading the audit chain: verification, its head, and exports.
extension SQLiteStore {
  static let linkColumns =
    """
    SELECT seq, at, kind, message_id, delivery_id, actor, detail, prev_hash, hash, personal
    FROM audit_events
    """

  static func link(from row: some TableRow) -> AuditChain.Link {
    AuditChain.Link(
      sequence: row[0], at: row[1], kind: row[2], messageID: row[3], deliveryID: row[4],
      actor: row[5], detail: row[6], previous: row[7], hash: row[8], personal: row[9])
  }

  /// Walks the whole chain in sequence order, a page at a time, and names
  /// the first event that was altered, removed or reordered.
  public func verifyAudit() async throws -> AuditChain.Verdict {
    try await pool.read { db in
      var previous: (sequence: Int64, hash: String) = (0, AuditChain.genesis)
      var count = 0
      while true {
        let page = try Row.fetchAll(
          db, sql: "\(Self.linkColumns) WHERE seq > ? ORDER BY seq LIMIT 5000",
          arguments: [previous.sequence]
        ).map(Self.link(from:))
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

  /// The newest event's sequence and hash, or nil for an empty log.
  public func auditHead() async throws -> (sequence: Int64, hash: String)? {
    try await pool.read { db in
      try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        .map { ($0[0], $0[1]) }
    }
  }

  /// The stored hash of event `sequence`, to compare with a head logged earlier.
  public func auditHash(at sequence: Int64) async throws -> String? {
    try await pool.read { db in
      try String.fetchOne(
        db, sql: "SELECT hash FROM audit_events WHERE seq = ?", arguments: [sequence])
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
          \(Self.linkColumns) WHERE seq > ? AND at >= ? AND (? IS NULL OR at < ?)
          ORDER BY seq LIMIT ?
          """,
        arguments: [
          sequence, Timestamp.format(since), until.map(Timestamp.format),
          until.map(Timestamp.format), limit,
        ]
      ).map(Self.link(from:))
    }
  }
}
