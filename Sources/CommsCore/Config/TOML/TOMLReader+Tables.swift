/// How a table under construction came to exist; this decides what may
/// extend it later.
enum TOMLTableOrigin: Sendable {
  /// The document's root table.
  case root
  /// Defined by a `[header]`.
  case header
  /// Created as the parent of a `[header]` but not (yet) defined itself.
  case implicit
  /// Created by a dotted key such as `a.b = 1`.
  case dotted
  /// An inline table `{ ... }`.
  case inline
  /// An element of an array of tables, created by `[[header]]`.
  case arrayElement
}

/// A table under construction. Children refer to other drafts by index so
/// that deep tables can be extended in place without copying.
struct TOMLDraftTable: Sendable {
  var line: Int
  var origin: TOMLTableOrigin
  var keys: [String] = []
  var children: [String: TOMLDraftChild] = [:]
}

/// What a key of a draft table holds.
enum TOMLDraftChild: Sendable {
  /// A finished value, including inline tables and static arrays.
  case value(TOMLNode)
  /// An index into `TOMLReader.tables`.
  case table(Int)
  /// An index into `TOMLReader.tableArrays`.
  case tableArray(Int)
}

/// An array of tables under construction; elements index `TOMLReader.tables`.
struct TOMLDraftTableArray: Sendable {
  var line: Int
  var elements: [Int]
}

extension TOMLReader {
  mutating func newTable(line: Int, origin: TOMLTableOrigin) -> Int {
    tables.append(TOMLDraftTable(line: line, origin: origin))
    return tables.count - 1
  }

  private mutating func add(_ child: TOMLDraftChild, named name: String, to table: Int) {
    tables[table].keys.append(name)
    tables[table].children[name] = child
  }

  private func definitionLine(of child: TOMLDraftChild) -> Int {
    switch child {
    case .value(let node): node.line
    case .table(let index): tables[index].line
    case .tableArray(let index): tableArrays[index].line
    }
  }

  /// "'a.b' is already a string (defined on line 3)" and similar.
  private func conflict(_ name: String, _ child: TOMLDraftChild) -> String {
    let line = definitionLine(of: child)
    switch child {
    case .value(let node):
      if case .table = node.value {
        return "'\(name)' is an inline table (defined on line \(line)), which cannot be extended"
      }
      return "'\(name)' is already \(node.value.typeDescription) (defined on line \(line))"
    case .table:
      return "'\(name)' is already a table (defined on line \(line))"
    case .tableArray:
      return "'\(name)' is already an array of tables (defined on line \(line))"
    }
  }

  /// Stores `key = node` in `table`, creating tables for dotted keys.
  mutating func insert(
    _ node: TOMLNode, at key: [TOMLKeySegment], into table: Int
  ) throws(TOMLSyntaxError) {
    var current = table
    for index in 0..<(key.count - 1) {
      let segment = key[index]
      guard let child = tables[current].children[segment.name] else {
        let created = newTable(line: segment.mark.line, origin: .dotted)
        add(.table(created), named: segment.name, to: current)
        current = created
        continue
      }
      let prefix = TOMLKeySegment.display(key[...index])
      let full = TOMLKeySegment.display(key[...])
      if case .table(let existing) = child {
        if tables[existing].origin == .dotted {
          current = existing
          continue
        }
        throw error(
          "cannot add '\(full)' with a dotted key: table '\(prefix)' was already "
            + "created by the table header on line \(tables[existing].line)",
          at: segment.mark)
      }
      throw error("cannot add '\(full)': " + conflict(prefix, child), at: segment.mark)
    }
    let last = key[key.count - 1]
    if let existing = tables[current].children[last.name] {
      throw error(
        "duplicate key '\(TOMLKeySegment.display(key[...]))' "
          + "(first defined on line \(definitionLine(of: existing)))",
        at: last.mark)
    }
    add(.value(node), named: last.name, to: current)
  }

  /// Handles a `[key]` header and returns the table that following keys go into.
  mutating func defineTable(_ key: [TOMLKeySegment], line: Int) throws(TOMLSyntaxError) -> Int {
    let header = "[\(TOMLKeySegment.display(key[...]))]"
    let parent = try headerParent(key, line: line, header: header)
    let last = key[key.count - 1]
    guard let child = tables[parent].children[last.name] else {
      let created = newTable(line: line, origin: .header)
      add(.table(created), named: last.name, to: parent)
      return created
    }
    let name = TOMLKeySegment.display(key[...])
    let firstLine = definitionLine(of: child)
    switch child {
    case .table(let existing) where tables[existing].origin == .implicit:
      tables[existing].origin = .header
      tables[existing].line = line
      return existing
    case .table(let existing) where tables[existing].origin == .dotted:
      throw error(
        "table \(header) cannot be defined here: '\(name)' was already created "
          + "with dotted keys on line \(firstLine)",
        at: last.mark)
    case .table:
      throw error("duplicate table \(header) (first defined on line \(firstLine))", at: last.mark)
    case .tableArray:
      throw error(
        "table \(header) conflicts with the array of tables [[\(name)]] defined on line \(firstLine)",
        at: last.mark)
    case .value:
      throw error("cannot define table \(header): " + conflict(name, child), at: last.mark)
    }
  }

  /// Handles a `[[key]]` header: appends a new table to the array of tables
  /// and returns it.
  mutating func appendTableArrayElement(
    _ key: [TOMLKeySegment], line: Int
  ) throws(TOMLSyntaxError) -> Int {
    let name = TOMLKeySegment.display(key[...])
    let header = "[[\(name)]]"
    let parent = try headerParent(key, line: line, header: header)
    let last = key[key.count - 1]
    let element = newTable(line: line, origin: .arrayElement)
    guard let child = tables[parent].children[last.name] else {
      tableArrays.append(TOMLDraftTableArray(line: line, elements: [element]))
      add(.tableArray(tableArrays.count - 1), named: last.name, to: parent)
      return element
    }
    switch child {
    case .tableArray(let existing):
      tableArrays[existing].elements.append(element)
      return element
    case .value(let node):
      if case .array = node.value {
        throw error(
          "cannot append to '\(name)' with \(header): it is a static array "
            + "defined on line \(node.line)",
          at: last.mark)
      }
      fallthrough
    case .table:
      throw error(
        "cannot define array of tables \(header): " + conflict(name, child), at: last.mark)
    }
  }

  /// Walks (creating as needed) the tables named by all but the last
  /// segment of a header's key.
  private mutating func headerParent(
    _ key: [TOMLKeySegment], line: Int, header: String
  ) throws(TOMLSyntaxError) -> Int {
    var current = 0
    for index in 0..<(key.count - 1) {
      let segment = key[index]
      switch tables[current].children[segment.name] {
      case nil:
        let created = newTable(line: line, origin: .implicit)
        add(.table(created), named: segment.name, to: current)
        current = created
      case .table(let existing):
        current = existing
      case .tableArray(let existing):
        current = tableArrays[existing].elements[tableArrays[existing].elements.count - 1]
      case .value(let node):
        let prefix = TOMLKeySegment.display(key[...index])
        throw error(
          "cannot define table \(header): " + conflict(prefix, .value(node)), at: segment.mark)
      }
    }
    return current
  }

  /// Converts the draft at `index` (and everything below it) to a `TOMLTable`.
  func buildTable(_ index: Int) -> TOMLTable {
    let draft = tables[index]
    var storage: [String: TOMLNode] = [:]
    storage.reserveCapacity(draft.keys.count)
    for key in draft.keys {
      switch draft.children[key]! {
      case .value(let node):
        storage[key] = node
      case .table(let child):
        storage[key] = TOMLNode(line: tables[child].line, value: .table(buildTable(child)))
      case .tableArray(let child):
        let elements = tableArrays[child].elements.map { element in
          TOMLNode(line: tables[element].line, value: .table(buildTable(element)))
        }
        storage[key] = TOMLNode(line: tableArrays[child].line, value: .array(elements))
      }
    }
    return TOMLTable(line: draft.line, keys: draft.keys, storage: storage)
  }
}
