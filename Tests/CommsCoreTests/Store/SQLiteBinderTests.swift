import Foundation
import GRDB
import Testing

@testable import CommsCore

/// The hot path binds its values straight into SQLite (`SQLiteBinder`):
/// what it binds must read back as GRDB's own binding wrote it, a statement
/// given too few or too many values must not run, and text bound by
/// reference must not stay bound once its buffer is gone.
@Suite struct SQLiteBinderTests {
  static func table() throws -> DatabaseQueue {
    let queue = try DatabaseQueue()
    try queue.write { db in
      try db.execute(sql: "CREATE TABLE t (a TEXT, b INTEGER, c TEXT)")
    }
    return queue
  }

  /// One row into `t` through the binder; `then` gets the statement after.
  static func insert(
    into queue: DatabaseQueue, columns: String, _ bind: (inout SQLiteBinder) -> Void,
    then: (Statement) throws -> Void = { _ in }
  ) throws {
    try queue.write { db in
      let marks = StoreTransaction.marks(rows: 1, columns: columns.split(separator: ",").count)
      let insert = try db.cachedStatement(sql: "INSERT INTO t (\(columns)) VALUES \(marks)")
      var binder = SQLiteBinder(insert)
      bind(&binder)
      try binder.run { try $0.execute() }
      try then(insert)
    }
  }

  @Test func valuesReadBackAsWritten() throws {
    let queue = try Self.table()
    // (GRDB reads text up to a NUL, so none is written here.)
    let texts: [String?] = ["", nil, "Ærø — 😀", "a\tb\n", String(repeating: "x", count: 70_000)]
    let numbers: [Int?] = [0, nil, Int.max, Int.min, -1]
    try queue.write { db in
      let marks = StoreTransaction.marks(rows: texts.count, columns: 3)
      let insert = try db.cachedStatement(sql: "INSERT INTO t (a, b, c) VALUES \(marks)")
      var binder = SQLiteBinder(insert)
      for (text, number) in zip(texts, numbers) {
        binder.add(text)
        binder.add(number)
        binder.add(Date(timeIntervalSince1970: 1_800_000_000))
      }
      try binder.run { try $0.execute() }
    }
    let rows = try queue.read { db in
      try Row.fetchAll(db, sql: "SELECT a, b, c, typeof(a) FROM t ORDER BY rowid")
    }
    let read = rows.map { $0[0] as String? }
    #expect(read.map { $0?.count } == texts.map { $0?.count })
    #expect(read == texts)
    #expect(rows.map { $0[1] as Int? } == numbers)
    // An empty text is text, not NULL.
    #expect(rows.map { $0[3] as String } == ["text", "null", "text", "text", "text"])
    #expect(
      rows.allSatisfy {
        ($0[2] as String?) == Timestamp.format(Date(timeIntervalSince1970: 1_800_000_000))
      })
  }

  @Test func aStatementReusedGetsOnlyItsNewValues() throws {
    let queue = try Self.table()
    try queue.write { db in
      for round in 0..<3 {
        let insert = try db.cachedStatement(sql: "INSERT INTO t (a, b, c) VALUES (?, ?, ?)")
        var binder = SQLiteBinder(insert)
        binder.add("round \(round)")
        binder.add(round == 1 ? nil : round)
        binder.add(nil as String?)
        try binder.run { try $0.execute() }
      }
    }
    let rows = try queue.read { db in
      try Row.fetchAll(db, sql: "SELECT a, b, c FROM t ORDER BY rowid")
    }
    #expect(rows.map { $0[0] as String } == ["round 0", "round 1", "round 2"])
    #expect(rows.map { $0[1] as Int? } == [0, nil, 2])
    #expect(rows.allSatisfy { ($0[2] as String?) == nil })
  }

  @Test(arguments: [2, 4])
  func aWrongCountOfValuesIsRefusedAndWritesNothing(_ count: Int) throws {
    let queue = try Self.table()
    #expect(throws: DatabaseError.self) {
      try queue.write { db in
        let insert = try db.cachedStatement(sql: "INSERT INTO t (a, b, c) VALUES (?, ?, ?)")
        var binder = SQLiteBinder(insert)
        for index in 0..<count { binder.add(index) }
        try binder.run { try $0.execute() }
      }
    }
    #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 0)
  }

  @Test func textIsUnboundOnceTheStatementHasRun() throws {
    let queue = try Self.table()
    try Self.insert(into: queue, columns: "a, b, c") { binder in
      binder.add("bound by reference")
      binder.add(7)
      binder.add("")
    } then: { insert in
      // Run again as GRDB would, binding nothing: the text's buffer is
      // gone, so every parameter must read NULL, not what was there.
      try insert.execute()
    }
    let rows = try queue.read { db in
      try Row.fetchAll(db, sql: "SELECT a, b, c, typeof(c) FROM t ORDER BY rowid")
    }
    #expect(rows.count == 2)
    #expect(rows.first?[0] as String? == "bound by reference")
    #expect(rows.first?[2] as String? == "")
    #expect(rows.first?[3] as String? == "text")
    #expect(rows.last.map { [$0[0], $0[1], $0[2]] as [DatabaseValue] } == [.null, .null, .null])
  }

  @Test func onlyEmptyTextIsStillText() throws {
    let queue = try Self.table()
    try Self.insert(into: queue, columns: "a, c") { binder in
      binder.add("")
      binder.add("")
    }
    let types = try queue.read { db in
      try Row.fetchOne(db, sql: "SELECT typeof(a), typeof(c) FROM t")
    }
    #expect(types.map { [$0[0], $0[1]] as [String] } == ["text", "text"])
  }
}
