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

/// Values, keys and strings.
@Suite struct TOMLParserTests {
  @Test func realisticConfigKeepsValuesLinesAndOrder() throws {
    let root = try parseTOML(
      """
      data_dir = "var"
      [relays.local]
      url = "smtp://127.0.0.1:2525"
      from = "Krisestab <krisestab@kommune.example>"
      [endpoints.sms]
      url = "http://127.0.0.1:8099/sms"
      headers = { "X-Source" = "commsd" }
      [[recipients]]
      id = "staff-001"
      name = "Mette Hansen"
      audiences = ["staff"]
      contacts = ["mette.hansen@kommune.example", "sms:+4512345678"]
      """)
    #expect(root.keys == ["data_dir", "relays", "endpoints", "recipients"])
    #expect(root.line == 1)
    #expect(root["data_dir"] == TOMLNode(line: 1, value: .string("var")))
    #expect(
      tomlNode(root, "relays.local.url")
        == TOMLNode(line: 3, value: .string("smtp://127.0.0.1:2525"))
    )
    #expect(tomlNode(root, "relays.local")?.line == 2)
    #expect(tomlTable(tomlValue(root, "relays.local"))?.line == 2)
    #expect(tomlTable(tomlValue(root, "relays.local"))?.keys == ["url", "from"])
    #expect(
      tomlValue(root, "relays.local.from") == .string("Krisestab <krisestab@kommune.example>"))
    #expect(tomlNode(root, "endpoints.sms.url")?.line == 6)
    let headers = try #require(tomlTable(tomlValue(root, "endpoints.sms.headers")))
    #expect(headers.line == 7)
    #expect(headers["X-Source"] == TOMLNode(line: 7, value: .string("commsd")))
    let recipients = tomlArray(root["recipients"]?.value)
    #expect(root["recipients"]?.line == 8)
    #expect(recipients.count == 1)
    #expect(recipients.first?.line == 8)
    let mette = try #require(tomlTable(recipients.first?.value))
    #expect(mette.keys == ["id", "name", "audiences", "contacts"])
    #expect(mette["contacts"]?.line == 12)
    #expect(
      tomlArray(mette["contacts"]?.value).map(\.value) == [
        .string("mette.hansen@kommune.example"), .string("sms:+4512345678"),
      ])
    #expect(mette.entries.map(\.key) == mette.keys)
  }

  @Test func commentsBlankLinesCRLFAndByteOrderMark() throws {
    let root = try parseTOML(
      "\u{FEFF}# heading\r\n\r\n  a = 1 # trailing\t\r\n\t# indented\r\nb = 'x'\r\n")
    #expect(root["a"] == TOMLNode(line: 3, value: .integer(1)))
    #expect(root["b"] == TOMLNode(line: 5, value: .string("x")))
    #expect(try parseTOML("").isEmpty)
    #expect(try parseTOML("# only a comment").isEmpty)
  }

  @Test func bareQuotedAndDottedKeys() throws {
    let root = try parseTOML(
      """
      bare_key-1 = 1
      1234 = 2
      "quoted key" = 3
      'literal "key"' = 4
      "" = 5
      "ʎǝʞ" = 6
      physical.color = "orange"
      physical . shape = "round"
      site."google.com" = true
      3.14159 = "pi"
      """)
    #expect(
      root.keys == [
        "bare_key-1", "1234", "quoted key", "literal \"key\"", "", "ʎǝʞ", "physical", "site", "3",
      ])
    #expect(root[""]?.value == .integer(5))
    #expect(tomlNode(root, "physical")?.line == 7)
    #expect(tomlNode(root, "physical.shape") == TOMLNode(line: 8, value: .string("round")))
    #expect(tomlTable(tomlValue(root, "site"))?["google.com"]?.value == .boolean(true))
    #expect(tomlValue(root, "3.14159") == .string("pi"))
  }

  @Test func basicStringEscapes() throws {
    let root = try parseTOML(#"s = "b\b t\t n\n f\f r\r q\" s\\ u\u00E9 U\U0001F600 tab\#tend""#)
    #expect(root["s"]?.value == .string("b\u{8} t\t n\n f\u{C} r\r q\" s\\ ué U😀 tab\tend"))
  }

  @Test func literalStrings() throws {
    let root = try parseTOML(#"path = 'C:\Users\nodejs\templates'"# + "\n" + #"q = 'Tom "Dubs"'"#)
    #expect(root["path"]?.value == .string(#"C:\Users\nodejs\templates"#))
    #expect(root["q"]?.value == .string(#"Tom "Dubs""#))
  }

  @Test func multiLineBasicStrings() throws {
    let root = try parseTOML(
      "a = \"\"\"\nRoses are red\r\nViolets are blue\"\"\"\n"
        + "b = \"\"\"\\\n    The quick brown \\\n\n    fox.\\\n    \"\"\"\n"
        + "c = \"\"\"Two quotes: \"\". Three: \"\"\\\".\"\"\"\n"
        + "d = \"\"\"\"quoted\"\"\"\"\n"
        + "e = 1\n")
    #expect(root["a"]?.value == .string("Roses are red\nViolets are blue"))
    #expect(root["b"] == TOMLNode(line: 4, value: .string("The quick brown fox.")))
    #expect(root["c"] == TOMLNode(line: 9, value: .string("Two quotes: \"\". Three: \"\"\".")))
    #expect(root["d"]?.value == .string("\"quoted\""))
    #expect(root["e"]?.line == 11)
  }

  @Test func multiLineLiteralStrings() throws {
    let root = try parseTOML(
      "re = '''I [dw]on't need \\d{2}'''\nlines = '''\nfirst\n  second\n'''\nx = ''''a''''\n")
    #expect(root["re"]?.value == .string("I [dw]on't need \\d{2}"))
    #expect(root["lines"]?.value == .string("first\n  second\n"))
    #expect(root["x"] == TOMLNode(line: 6, value: .string("'a'")))
  }

  @Test func integers() throws {
    let root = try parseTOML(
      """
      a = +99
      b = -17
      c = 0
      d = 5_349_221
      e = 0xDEAD_beef
      f = 0o755
      g = 0b1101_0110
      h = 9223372036854775807
      i = -9223372036854775808
      j = -0
      """)
    let expected: [Int64] = [99, -17, 0, 5_349_221, 0xDEAD_BEEF, 0o755, 0b1101_0110, .max, .min, 0]
    #expect(root.entries.map(\.node.value) == expected.map(TOMLValue.integer))
  }

  @Test func floats() throws {
    let root = try parseTOML(
      """
      a = +1.0
      b = -0.01
      c = 5e+22
      d = 1e06
      e = -2E-2
      f = 224_617.445_991
      g = inf
      h = -inf
      i = +inf
      j = 6.626e-34
      """)
    let expected: [Double] = [
      1, -0.01, 5e22, 1e6, -0.02, 224_617.445_991, .infinity, -.infinity, .infinity, 6.626e-34,
    ]
    #expect(root.entries.map(\.node.value) == expected.map(TOMLValue.float))
    for text in ["nan", "+nan", "-nan"] {
      guard case .float(let value)? = try parseTOML("x = \(text)")["x"]?.value else {
        Issue.record("\(text) is not a float")
        continue
      }
      #expect(value.isNaN)
    }
  }

  @Test func booleans() throws {
    let root = try parseTOML("yes = true\nno = false")
    #expect(root["yes"]?.value == .boolean(true))
    #expect(root["no"]?.value == .boolean(false))
  }

  @Test func datesAndTimesKeepTheirTextWithANormalisedSeparator() throws {
    let root = try parseTOML(
      """
      a = 1979-05-27T07:32:00Z
      b = 1979-05-27 00:32:00.999999-07:00
      c = 1979-05-27t07:32:00z
      d = 1979-05-27T07:32:00
      e = 1979-05-27
      f = 07:32:00.5
      g = 2024-02-29
      """)
    #expect(root["a"]?.value == .dateTime("1979-05-27T07:32:00Z"))
    #expect(root["b"]?.value == .dateTime("1979-05-27T00:32:00.999999-07:00"))
    #expect(root["c"]?.value == .dateTime("1979-05-27T07:32:00Z"))
    #expect(root["d"]?.value == .dateTime("1979-05-27T07:32:00"))
    #expect(root["e"]?.value == .dateTime("1979-05-27"))
    #expect(root["f"]?.value == .dateTime("07:32:00.5"))
    #expect(root["g"]?.value == .dateTime("2024-02-29"))
    #expect(root["a"]?.value.typeDescription == "a date-time")
    #expect(root["e"]?.value.typeDescription == "a date")
    #expect(root["f"]?.value.typeDescription == "a time")
  }

  @Test func arraysSpanLinesWithTrailingCommasAndComments() throws {
    let root = try parseTOML(
      """
      ports = [
        8000, # first
        # a comment line
        8001,
      ]
      nested = [ [1, 2], ["a", 'b'], [], [{ x = 1 }] ]
      mixed = [1, "two", 3.0, true, 1979-05-27]
      """)
    let ports = tomlArray(root["ports"]?.value)
    #expect(
      ports == [TOMLNode(line: 2, value: .integer(8000)), TOMLNode(line: 4, value: .integer(8001))])
    #expect(root["ports"]?.line == 1)
    #expect(root["nested"]?.line == 6)
    let nested = tomlArray(root["nested"]?.value)
    #expect(nested.count == 4)
    #expect(tomlArray(nested[1].value).map(\.value) == [.string("a"), .string("b")])
    #expect(tomlTable(tomlArray(nested[3].value).first?.value)?["x"]?.value == .integer(1))
    #expect(
      tomlArray(root["mixed"]?.value).map(\.value.typeDescription) == [
        "an integer", "a string", "a float", "a boolean", "a date",
      ])
  }
}
