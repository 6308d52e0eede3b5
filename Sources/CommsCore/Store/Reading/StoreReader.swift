import GRDB

/// One read snapshot of either store, for the queries both share (status,
/// the dashboard, dead letters, subject access, after-action reports, CAP
/// look-ups). They are written once, with `?` marks (or `?1`, `?2` … for a
/// value used twice), in the SQL that SQLite and PostgreSQL both speak; a
/// parameter whose type nothing around it decides is cast (`CAST(? AS TEXT)`),
/// and the one function that differs is `jsonArrayLength`. Writes stay with
/// each store: there the two differ in how they share (locks, leases, the
/// audit chain's turn).
public struct StoreReader {
  enum Connection {
    case sqlite(Database)
    case postgres(PostgresConnection)
  }
  let connection: Connection

  /// The rows of `sql`.
  func rows(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []) throws
    -> [StoredRow]
  {
    switch connection {
    case .sqlite(let db):
      return try Row.fetchAll(
        db.cachedStatement(sql: sql), arguments: StatementArguments(arguments)
      ).map(StoredRow.init)
    case .postgres(let connection):
      return try connection.query(
        Self.numberedMarks(sql), arguments.map { $0.flatMap(Self.parameter) })
    }
  }

  /// Calls `body` with each row of `sql` in turn: on SQLite from a cursor,
  /// so the rows are never all in memory at once.
  func forEachRow(
    _ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = [],
    shape: StoreTransaction.Shape = .fixed, _ body: (StoredRow) throws -> Void
  ) throws {
    switch connection {
    case .sqlite(let db):
      let statement =
        shape == .fixed ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
      let cursor = try Row.fetchCursor(statement, arguments: StatementArguments(arguments))
      while let row = try cursor.next() { try body(StoredRow(row)) }
    case .postgres(let connection):
      for row in try connection.query(
        Self.numberedMarks(sql), arguments.map { $0.flatMap(Self.parameter) },
        prepare: shape == .fixed)
      {
        try body(row)
      }
    }
  }

  /// The first column of each row of `sql`, as text.
  func strings(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []) throws
    -> [String]
  {
    try rows(sql, arguments).map { try $0[0] }
  }

  /// The length of the JSON array held as text in `column`.
  func jsonArrayLength(_ column: String) -> String {
    switch connection {
    case .sqlite: "json_array_length(\(column))"
    case .postgres: "json_array_length(\(column)::json)"
    }
  }

  /// `?` marks as PostgreSQL's `$1, $2 …` (and `?N` as `$N`), outside quotes.
  static func numberedMarks(_ sql: String) -> String {
    var result = ""
    result.reserveCapacity(sql.utf8.count + 16)
    var next = 0
    var quoted = false
    var characters = sql.makeIterator()
    var pending = characters.next()
    while let character = pending {
      pending = characters.next()
      if character == "'" { quoted.toggle() }
      guard character == "?", !quoted else {
        result.append(character)
        continue
      }
      var digits = ""
      while let digit = pending, digit.isASCII, digit.isNumber {
        digits.append(digit)
        pending = characters.next()
      }
      if digits.isEmpty {
        next += 1
        result += "$\(next)"
      } else {
        result += "$" + digits
      }
    }
    return result
  }

  /// A value as libpq takes it (text, or a number).
  static func parameter(_ value: any DatabaseValueConvertible) -> (any PostgresParameter)? {
    switch value.databaseValue.storage {
    case .null: nil
    case .int64(let number): number
    case .double(let number): String(number)
    case .string(let text): text
    case .blob(let data): String(decoding: data, as: UTF8.self)
    }
  }
}

extension SQLiteStore {
  /// Runs `body` on one snapshot of the store.
  public func read<T: Sendable>(_ body: @escaping @Sendable (StoreReader) throws -> T)
    async throws -> T
  {
    try await pool.read { db in try body(StoreReader(connection: .sqlite(db))) }
  }

  /// Runs `body` in one write transaction: an urgent one ahead of the
  /// daemon's everyday writes (see `UrgentWrites`), an everyday one after
  /// any urgent one waiting.
  public func write<T: Sendable>(
    _ turn: WriteTurn, _ body: @escaping @Sendable (StoreTransaction) throws -> T
  ) async throws -> T {
    switch turn {
    case .urgent:
      return try await urgent.run {
        try await pool.write { db in try body(StoreTransaction(connection: .sqlite(db))) }
      }
    case .everyday:
      await urgent.yield()
      return try await pool.write { db in try body(StoreTransaction(connection: .sqlite(db))) }
    }
  }
}

extension PostgresStore {
  /// Runs `body` on one snapshot of the store.
  public func read<T: Sendable>(_ body: @escaping @Sendable (StoreReader) throws -> T)
    async throws -> T
  {
    try await pool.read { connection in try body(StoreReader(connection: .postgres(connection))) }
  }

  /// Runs `body` in one write transaction (again from the start after a
  /// deadlock or a serialization failure, see `PostgresPool.write`).
  public func write<T: Sendable>(
    _ turn: WriteTurn, _ body: @escaping @Sendable (StoreTransaction) throws -> T
  ) async throws -> T {
    try await pool.write { transaction in
      try body(StoreTransaction(connection: .postgres(transaction)))
    }
  }
}
