import GRDB
import Synchronization

/// The audit chain's head as the current write transaction left it, so a
/// transaction that writes hundreds of events (a batch of outcomes) reads
/// the head from the table once, not once per event. Forgotten when the
/// transaction ends: another process may write next.
enum AuditHeads {
  private static let heads = Mutex<[ObjectIdentifier: (sequence: Int64, hash: String)]>([:])

  /// The head before the next event in `db`'s transaction.
  static func head(in db: Database) throws -> (sequence: Int64, hash: String) {
    if db.isInsideTransaction, let head = heads.withLock({ $0[ObjectIdentifier(db)] }) {
      return head
    }
    let row = try Row.fetchOne(
      db.cachedStatement(sql: "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"))
    return ((row?[0] as Int64?) ?? 0, (row?[1] as String?) ?? AuditChain.genesis)
  }

  /// Remembers the event just written as the head, until the transaction ends.
  static func advance(in db: Database, to head: (sequence: Int64, hash: String)) {
    guard db.isInsideTransaction else { return }
    let key = ObjectIdentifier(db)
    let first = heads.withLock { heads -> Bool in
      defer { heads[key] = head }
      return heads[key] == nil
    }
    if first {
      db.afterNextTransaction(
        onCommit: { _ in _ = heads.withLock { $0.removeValue(forKey: key) } },
        onRollback: { _ in _ = heads.withLock { $0.removeValue(forKey: key) } })
    }
  }

  /// Forgets the cached head of `db`'s transaction (after a rolled-back
  /// savepoint): the next event reads it from the table.
  static func forget(in db: Database) {
    _ = heads.withLock { $0.removeValue(forKey: ObjectIdentifier(db)) }
  }
}
