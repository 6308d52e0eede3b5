import CPostgres
import GRDB

/// A row as either store returned it, its values read by type as GRDB reads
/// SQLite's, so the same row readers (`StoreRows.message(from:)` …) serve
/// both stores.
struct StoredRow {
  let values: [DatabaseValue]

  init(values: [DatabaseValue]) {
    self.values = values
  }

  init(_ row: Row) {
    values = Array(row.databaseValues)
  }

  /// The rows of a libpq `result`, numbers as integers or reals and the rest as text.
  static func all(of result: OpaquePointer?) -> [StoredRow] {
    let rowCount = cpq_ntuples(result)
    let columnCount = cpq_nfields(result)
    let types = (0..<columnCount).map { cpq_ftype(result, $0) }
    var rows: [StoredRow] = []
    rows.reserveCapacity(Int(rowCount))
    for row in 0..<rowCount {
      var values: [DatabaseValue] = []
      values.reserveCapacity(Int(columnCount))
      for column in 0..<columnCount {
        if cpq_getisnull(result, row, column) == 1 {
          values.append(.null)
          continue
        }
        let text = String(cString: cpq_getvalue(result, row, column))
        switch types[Int(column)] {
        case 20, 21, 23, 26:  // int8, int2, int4, oid
          values.append(Int64(text).map(\.databaseValue) ?? text.databaseValue)
        case 16:  // bool
          values.append((text == "t" ? Int64(1) : 0).databaseValue)
        case 700, 701, 1700:  // float4, float8, numeric
          values.append(Double(text).map(\.databaseValue) ?? text.databaseValue)
        default:
          values.append(text.databaseValue)
        }
      }
      rows.append(StoredRow(values: values))
    }
    return rows
  }
}

/// Rows read by column index and type. GRDB's `Row` traps on a column of
/// the wrong type, so SQLite's rows are wrapped (`StoredRow(row)`, or
/// `CursorRow` read in place) before any reader sees them.
protocol TableRow {
  var columnCount: Int { get }
  /// The value of column `index`, which is in `0..<columnCount`.
  func databaseValue(at index: Int) -> DatabaseValue
}

extension TableRow {
  /// Column `index` as a `Value`. A column that is missing or holds
  /// something else (a row written by hand, a damaged file) is
  /// `StoreError.corrupt`, never a trap: the daemon goes on with other rows.
  subscript<Value: DatabaseValueConvertible>(_ index: Int) -> Value {
    get throws(StoreError) {
      guard index >= 0, index < columnCount else {
        throw StoreError.corrupt("a row has \(columnCount) columns, not \(index + 1)")
      }
      let value = databaseValue(at: index)
      guard let converted = Value.fromDatabaseValue(value) else {
        throw StoreError.corrupt("column \(index) holds \(value), not a \(Value.self)")
      }
      return converted
    }
  }
}

extension StoredRow: TableRow {
  var columnCount: Int { values.count }
  func databaseValue(at index: Int) -> DatabaseValue { values[index] }
}

/// The current row of an SQLite statement, read in place for the hot path's
/// lease: no copy of its values into a `StoredRow` first (two arrays per
/// row), and each value made straight from SQLite's column, not through
/// GRDB's `Row`, whose generic decoding looked up type metadata for every
/// column (1–2 µs per leased delivery; issue 25). Valid only until the
/// statement steps again.
struct CursorRow: TableRow {
  let statement: SQLiteStatement
  let columnCount: Int

  /// The current row of `statement`, which has just stepped to a row.
  init(_ statement: Statement) {
    self.statement = statement.sqliteStatement
    columnCount = statement.columnCount
  }

  func databaseValue(at index: Int) -> DatabaseValue {
    DatabaseValue(sqliteStatement: statement, index: CInt(truncatingIfNeeded: index))
  }
}
