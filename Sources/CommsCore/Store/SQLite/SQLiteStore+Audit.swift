import Foundation
import GRDB

/// Verifying the audit chain on SQLite: GRDB's rows as they are, in one
/// snapshot (a million events in a few seconds, `make bench`).
extension SQLiteStore {
  public func verifyAudit() async throws -> AuditChain.Verdict {
    try await pool.read { db in
      let page = try db.cachedStatement(
        sql: "\(StoreRows.linkColumns) WHERE seq > ? ORDER BY seq LIMIT 5000")
      return try AuditChain.verify { after in
        try Row.fetchAll(page, arguments: [after]).map { try StoreRows.link(from: StoredRow($0)) }
      }
    }
  }
}
