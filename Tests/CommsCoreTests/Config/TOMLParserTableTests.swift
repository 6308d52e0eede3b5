import Testing

@testable import CommsCore

private func parseTOML(_ text: String) throws -> TOMLTable {
  try TOMLParser.parse(text, file: "test.toml")
}

/// Follows a dotted path of table keys and returns the node at its end.
private func tomlNode(_ table: TOMLTable, _ path: String) -> TOMLNode? {
  var current = table
  let parts = path.split(separator: ".").map(String.init)
  for part in parts.dropLast() {
    guard case .table(let next)? = current[part]?.value else { return nil }
    current = next
  }
  return current[parts.last!]
}

private func tomlValue(_ table: TOMLTable, _ path: String) -> TOMLValue? {
  tomlNode(table, path)?.value
}

private func tomlTable(_ value: TOMLValue?) -> TOMLTable? {
  if case .table(let table)? = value { return table }
  return nil
}

private func tomlArray(_ value: TOMLValue?) -> [TOMLNode] {
  if case .array(let elements)? = value { return elements }
  return []
}

/// Tables, inline tables and arrays of tables.
@Suite struct TOMLParserTableTests {
  @Test func inlineTables() throws {
    let root = try parseTOML(
      """
      name = { first = "Tom", last = "Preston-Werner" }
      animal = { type.name = "pug", type.size = 2 }
      empty = {}
      deep = { a = { b = [1,
        2] } }
      """)
    let name = try #require(tomlTable(root["name"]?.value))
    #expect(name.keys == ["first", "last"])
    #expect(name.line == 1)
    #expect(tomlValue(root, "animal.type.name") == .string("pug"))
    #expect(tomlTable(tomlValue(root, "animal.type"))?.keys == ["name", "size"])
    #expect(tomlTable(root["empty"]?.value)?.isEmpty == true)
    #expect(tomlArray(tomlValue(root, "deep.a.b")).map(\.line) == [4, 5])
  }

  @Test func tablesAndImplicitSuperTables() throws {
    let root = try parseTOML(
      """
      [x.y.z.w]
      a = 1

      [x]
      b = 2

      [fruit]
      apple.color = "red"
      apple.taste.sweet = true

      [fruit.apple.texture]
      smooth = true
      [ dog . "tater.man" ]
      type.name = "pug"
      """)
    #expect(tomlNode(root, "x.y.z.w.a") == TOMLNode(line: 2, value: .integer(1)))
    #expect(tomlNode(root, "x.y")?.line == 1)
    #expect(tomlNode(root, "x")?.line == 4)
    #expect(tomlTable(root["x"]?.value)?.line == 4)
    #expect(tomlTable(root["x"]?.value)?.keys == ["y", "b"])
    #expect(tomlNode(root, "fruit.apple")?.line == 8)
    #expect(tomlTable(tomlValue(root, "fruit.apple"))?.keys == ["color", "taste", "texture"])
    #expect(
      tomlNode(root, "fruit.apple.texture.smooth") == TOMLNode(line: 12, value: .boolean(true)))
    let dog = try #require(tomlTable(root["dog"]?.value))
    #expect(tomlTable(dog["tater.man"]?.value)?.line == 13)
  }

  @Test func arraysOfTablesWithNestedTables() throws {
    let root = try parseTOML(
      """
      [[fruits]]
      name = "apple"

      [fruits.physical]
      color = "red"

      [[fruits.varieties]]
      name = "red delicious"

      [[fruits.varieties]]
      name = "granny smith"

      [[fruits]]
      name = "banana"

      [[fruits.varieties]]
      name = "plantain"

      [fruits.varieties.notes.a]
      b = 1
      """)
    let fruits = tomlArray(root["fruits"]?.value)
    #expect(fruits.map(\.line) == [1, 13])
    let apple = try #require(tomlTable(fruits[0].value))
    #expect(apple.keys == ["name", "physical", "varieties"])
    #expect(tomlNode(apple, "physical.color") == TOMLNode(line: 5, value: .string("red")))
    #expect(tomlArray(apple["varieties"]?.value).map(\.line) == [7, 10])
    let banana = try #require(tomlTable(fruits[1].value))
    let plantain = try #require(tomlTable(tomlArray(banana["varieties"]?.value).first?.value))
    #expect(plantain["name"]?.value == .string("plantain"))
    #expect(tomlNode(plantain, "notes.a.b") == TOMLNode(line: 20, value: .integer(1)))
    #expect(tomlNode(plantain, "notes")?.line == 19)
  }

  @Test func tableAPIAndErrorDescription() throws {
    let built = TOMLTable(
      line: 4,
      entries: [
        (key: "b", node: TOMLNode(line: 5, value: .integer(1))),
        (key: "a", node: TOMLNode(line: 6, value: .string("x"))),
        (key: "b", node: TOMLNode(line: 7, value: .integer(2))),
      ])
    #expect(built.keys == ["b", "a"])
    #expect(built["b"]?.value == .integer(2))
    #expect(built.count == 2)
    #expect(TOMLValue.table(built).typeDescription == "a table")
    #expect(TOMLValue.array([]).typeDescription == "an array")
    let error = TOMLSyntaxError(
      file: "commsd.toml", line: 7, column: 12, message: "duplicate key 'url'")
    #expect(error.description == "commsd.toml:7:12: duplicate key 'url'")
  }

  @Test func largeDocumentKeepsLineNumbers() throws {
    var text = "title = \"big\"\n"
    for index in 0..<5_000 {
      text +=
        "[[recipients]]\nid = \"staff-\(index)\"\ncontacts = [\"a@example.org\", \"sms:+45\(index)\"]\n\n"
    }
    let root = try parseTOML(text)
    let recipients = tomlArray(root["recipients"]?.value)
    #expect(recipients.count == 5_000)
    #expect(recipients.last?.line == 2 + 4 * 4_999)
    #expect(tomlTable(recipients.last?.value)?["contacts"]?.line == 4 + 4 * 4_999)
  }
}
