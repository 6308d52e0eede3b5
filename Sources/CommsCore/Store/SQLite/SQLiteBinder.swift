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
/// and no boxing.
///
/// Text is not copied by SQLite. Debian's SQLite is built without its
/// lookaside allocator (`SQLITE_OMIT_LOOKASIDE`), so every text bound with
/// `SQLITE_TRANSIENT` was a `malloc` and a `free` of its own: 43 of the 175
/// allocations per webhook, counted with uprobes on libc
/// (`bench.py --only profile --count-allocations`). The binder gathers the
/// statement's text in one buffer and binds it by reference
/// (`SQLITE_STATIC`) for the length of `run`, after which the bindings are
/// cleared: SQLite never holds a pointer into the buffer once it is gone.
///
/// The count is still checked: `run` throws unless exactly as many values
/// were bound as the statement has parameters, so a statement and its values
/// cannot drift apart silently.
struct SQLiteBinder {
  private let statement: Statement
  /// The statement's parameter count: `run` checks that each got a value.
  private let parameters: Int32
  private var index: Int32 = 0
  private var failure: Int32 = SQLITE_OK
  /// Each text parameter's place in `bytes`, bound when the statement runs:
  /// `bytes` may move while it grows.
  private var texts: [(position: Int32, start: Int, count: Int32)] = []
  private var bytes: [UInt8] = []

  /// Takes `statement` (usually a cached one) for fresh values: its old
  /// bindings are cleared and GRDB is told the arguments are set, so that
  /// executing it binds nothing more.
  init(_ statement: Statement) {
    self.statement = statement
    statement.setUncheckedArguments(StatementArguments())
    parameters = sqlite3_bind_parameter_count(statement.sqliteStatement)
    texts.reserveCapacity(Int(parameters))
    bytes.reserveCapacity(Int(parameters) * 24)
  }

  /// Binds text, or NULL for nil.
  mutating func add(_ text: String?) {
    index += 1
    guard var text else {
      note(sqlite3_bind_null(statement.sqliteStatement, index))
      return
    }
    text.withUTF8 { utf8 in
      guard let count = Int32(exactly: utf8.count) else {
        note(SQLITE_TOOBIG)
        return
      }
      texts.append((index, bytes.count, count))
      bytes.append(contentsOf: utf8)
    }
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

  private mutating func note(_ code: Int32) {
    if code != SQLITE_OK && failure == SQLITE_OK { failure = code }
  }

  /// Binds the text values, runs `body` with the statement (execute it,
  /// or read what it returns), then clears every binding.
  ///
  /// Throws before running anything if a value could not be bound, or if
  /// not every parameter of the statement got exactly one.
  func run<T>(_ body: (Statement) throws -> T) throws -> T {
    let handle = statement.sqliteStatement
    if failure != SQLITE_OK {
      throw DatabaseError(
        resultCode: ResultCode(rawValue: failure), message: "binding value \(index)",
        sql: statement.sql)
    }
    guard index == parameters else {
      throw DatabaseError(
        resultCode: .SQLITE_MISUSE, message: "\(index) values bound, \(parameters) expected",
        sql: statement.sql)
    }
    return try bytes.withUnsafeBufferPointer { buffer in
      // Whatever happens in `body`, SQLite keeps no pointer into `bytes`.
      defer { sqlite3_clear_bindings(handle) }
      for text in texts {
        let code: Int32
        if let base = buffer.baseAddress {
          code = UnsafeRawPointer(base + text.start).withMemoryRebound(
            to: CChar.self, capacity: Int(text.count)
          ) { sqlite3_bind_text(handle, text.position, $0, text.count, Self.static) }
        } else {
          // Only empty texts, and no buffer: an empty text still needs an
          // address (a NULL one binds NULL).
          code = sqlite3_bind_text(handle, text.position, "", 0, Self.transient)
        }
        guard code == SQLITE_OK else {
          throw DatabaseError(
            resultCode: ResultCode(rawValue: code), message: "binding value \(text.position)",
            sql: statement.sql)
        }
      }
      return try body(statement)
    }
  }

  /// SQLite's SQLITE_STATIC and SQLITE_TRANSIENT (C macros Swift does not
  /// import): SQLite reads the text where it is, or copies it at once.
  private static var `static`: sqlite3_destructor_type? { nil }
  private static var transient: sqlite3_destructor_type {
    unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
  }
}
