import GRDB

/// Where a row's values go, in column order: straight into an SQLite
/// statement (`SQLiteBinder`), or into a list for a PostgreSQL query
/// (`RowValueList`). A row's values are written once, by a function that
/// takes either (`DeliveryWriter.write(_:now:to:)`), so the two stores
/// cannot disagree on the order.
protocol RowValues {
  mutating func add(_ text: String?)
  mutating func add(_ number: Int?)
}

extension SQLiteBinder: RowValues {}

/// A row's values as a list.
struct RowValueList: RowValues {
  var values: [(any DatabaseValueConvertible)?] = []

  mutating func add(_ text: String?) { values.append(text) }
  mutating func add(_ number: Int?) { values.append(number) }
}
