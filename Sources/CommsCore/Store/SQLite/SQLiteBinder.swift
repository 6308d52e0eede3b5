import Foundation
import GRDB
import GRDBSQLite

/// Binds the values of a many-row statement straight into SQLite, in order,
/// for the hot path's writes (plan rows, outcomes, audit events).
///
/// GRDB's `StatementArguments` takes an array of `DatabaseValueConvertible`
/// existentials, converts each to a `DatabaseValue`, validates the count and
/// then binds: a DWARF profile of 50,000 webhooks had that at 5.5 µs of the
/// 44 µs the store's three hot statements cost per delivery, more than a
/// third of what is not SQLite's own (issue 25, `Benchmarks/NOTES.md`).
/// Here each value goes to `sqlite3_bind_*` as it is produced, with no array
/// and no boxing; SQLite copies text (`SQLITE_TRANSIENT`), as GRDB does.
///
/// The count is still checked: `finish()` throws unless exactly as many
/// values were bound as the statement has parameters, so a statement and its
/// values cannot drift apart silently.
struct SQLiteBinder {
  private let statement: Statement
  private var index: Int32 = 0
  private var failure: Int32 = SQLITE_OK

  /// Takes `statement` (usually a cached one) for fresh values: its old
  /// bindings are cleared and GRDB is told the arguments are set, so that
  /// executing it binds nothing more.
  init(_ statement: Statement) {
    self.statement = statement
    statement.setUncheckedArguments(StatementArguments())
  }

  /// Binds text, or NULL for nil.
  mutating func add(_ text: String?) {
    index += 1
    guard var text else {
      note(sqlite3_bind_null(statement.sqliteStatement, index))
      return
    }
    let position = index
    let handle = statement.sqliteStatement
    let code = text.withUTF8 { bytes -> Int32 in
      // An empty buffer may have no address, and a NULL address binds NULL.
      guard let base = bytes.baseAddress, let count = Int32(exactly: bytes.count) else {
        return bytes.isEmpty
          ? sqlite3_bind_text(handle, position, "", 0, Self.transient) : SQLITE_TOOBIG
      }
      return UnsafeRawPointer(base).withMemoryRebound(to: CChar.self, capacity: bytes.count) {
        sqlite3_bind_text(handle, position, $0, count, Self.transient)
      }
    }
    note(code)
  }

  /// Binds an integer, or NULL for nil.
  mutating func add(_ number: Int?) {
    index += 1
    guard let number else {
      note(sqlite3_bind_null(statement.sqliteStatement, index))
      return
    }
    note(sqlite3_bind_int64(statement.sqliteStatement, index, sqlite3_int64(number)))
  }

  /// Binds a 64-bit integer.
  mutating func add(_ number: Int64) {
    index += 1
    note(sqlite3_bind_int64(statement.sqliteStatement, index, number))
  }

  /// Binds a timestamp as the store writes them (`Timestamp.format`).
  mutating func add(_ date: Date?) {
    add(date.map(Timestamp.format))
  }

  /// SQLite's SQLITE_TRANSIENT (a C macro Swift does not import): SQLite
  /// copies the value before the call returns.
  private static var transient: sqlite3_destructor_type {
    unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
  }

  private mutating func note(_ code: Int32) {
    if code != SQLITE_OK && failure == SQLITE_OK { failure = code }
  }

  /// Throws if a value could not be bound, or if not every parameter of the
  /// statement got exactly one.
  func finish() throws {
    if failure != SQLITE_OK {
      throw DatabaseError(
        resultCode: ResultCode(rawValue: failure), message: "binding value \(index)",
        sql: statement.sql)
    }
    let expected = sqlite3_bind_parameter_count(statement.sqliteStatement)
    guard index == expected else {
      throw DatabaseError(
        resultCode: .SQLITE_MISUSE, message: "\(index) values bound, \(expected) expected",
        sql: statement.sql)
    }
  }
}
