import Testing

@testable import CommsCore

/// A document that must be rejected, with where and why.
struct TOMLErrorCase: Sendable, CustomTestStringConvertible {
  let name: String
  let source: String
  let line: Int
  let column: Int
  let message: String

  init(_ name: String, _ source: String, _ line: Int, _ column: Int, _ message: String) {
    self.name = name
    self.source = source
    self.line = line
    self.column = column
    self.message = message
  }

  var testDescription: String { name }
}

private func tomlParseError(_ text: String, file: String = "test.toml") -> TOMLSyntaxError? {
  do {
    _ = try TOMLParser.parse(text, file: file)
    return nil
  } catch {
    return error
  }
}

private let tomlErrorCases: [TOMLErrorCase] = [
  TOMLErrorCase(
    "duplicate key",
    "data_dir = \"var\"\n[relays.local]\nurl = \"smtp://a\"\nfrom = \"x\"\n\n# the local relay\n           url = \"y\"\n",
    7, 12, "duplicate key 'url' (first defined on line 3)"),
  TOMLErrorCase(
    "duplicate key in table", "[relays.local]\nport = 25\nhost = \"a\"\nport = 26\n",
    4, 1, "duplicate key 'port' (first defined on line 2)"),
  TOMLErrorCase(
    "duplicate dotted key", "a.b = 1\na.b = 2\n",
    2, 3, "duplicate key 'a.b' (first defined on line 1)"),
  TOMLErrorCase(
    "value then dotted", "a = 1\na.b = 2\n",
    2, 1, "cannot add 'a.b': 'a' is already an integer (defined on line 1)"),
  TOMLErrorCase(
    "duplicate key in inline", "h = { a = 1, a = 2 }\n",
    1, 14, "duplicate key 'a' (first defined on line 1)"),
  TOMLErrorCase(
    "redefining a table", "[relays.local]\nurl = \"a\"\n\n[relays.local]\n",
    4, 9, "duplicate table [relays.local] (first defined on line 1)"),
  TOMLErrorCase(
    "defining dotted table with header", "[fruit]\napple.color = \"red\"\n[fruit.apple]\n",
    3, 8,
    "table [fruit.apple] cannot be defined here: 'fruit.apple' was already created with dotted keys on line 2"
  ),
  TOMLErrorCase(
    "dotted key into header table", "[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n",
    4, 1,
    "cannot add 'b.c.t' with a dotted key: table 'b' was already created by the table header on line 1"
  ),
  TOMLErrorCase(
    "extend inline table", "headers = { a = 1 }\n[headers]\n",
    2, 2,
    "cannot define table [headers]: 'headers' is an inline table (defined on line 1), which cannot be extended"
  ),
  TOMLErrorCase(
    "extend inline table dotted", "headers = { a = 1 }\nheaders.b = 2\n",
    2, 1,
    "cannot add 'headers.b': 'headers' is an inline table (defined on line 1), which cannot be extended"
  ),
  TOMLErrorCase(
    "append to static array", "recipients = []\n\n[[recipients]]\n",
    3, 3,
    "cannot append to 'recipients' with [[recipients]]: it is a static array defined on line 1"),
  TOMLErrorCase(
    "table over array of tables", "[[recipients]]\nid = \"a\"\n[recipients]\n",
    3, 2, "table [recipients] conflicts with the array of tables [[recipients]] defined on line 1"),
  TOMLErrorCase(
    "array of tables over table", "[recipients]\n[[recipients]]\n",
    2, 3,
    "cannot define array of tables [[recipients]]: 'recipients' is already a table (defined on line 1)"
  ),
  TOMLErrorCase(
    "header through value", "port = 25\n[port.x]\n",
    2, 2, "cannot define table [port.x]: 'port' is already an integer (defined on line 1)"),
  TOMLErrorCase(
    "unterminated basic", "name = \"Mette\n",
    1, 8, "unterminated string: the closing \" is missing before the end of the line"),
  TOMLErrorCase(
    "unterminated literal", "name = 'Mette\n",
    1, 8, "unterminated string: the closing ' is missing before the end of the line"),
  TOMLErrorCase(
    "unterminated multi-line basic", "a = 1\nnote = \"\"\"\nline\n",
    2, 8, "unterminated multi-line string: the closing \"\"\" is missing"),
  TOMLErrorCase(
    "unterminated multi-line literal", "note = '''\nline",
    1, 8, "unterminated multi-line string: the closing ''' is missing"),
  TOMLErrorCase(
    "invalid escape", "path = \"C:\\Users\\x\"\n",
    1, 11,
    "invalid escape: '\\U' must be followed by 8 hexadecimal digits; write '\\\\' for a backslash, or use a 'literal string'"
  ),
  TOMLErrorCase(
    "short unicode escape", "a = \"\\u12G4\"\n",
    1, 6,
    "invalid escape: '\\u' must be followed by 4 hexadecimal digits; write '\\\\' for a backslash, or use a 'literal string'"
  ),
  TOMLErrorCase(
    "surrogate escape", "a = \"\\uD800\"\n",
    1, 6, "invalid escape '\\uD800': not a valid Unicode character"),
  TOMLErrorCase(
    "escape in single line string at eol", "a = \"abc\\\n\"\n",
    1, 9, "invalid escape: a backslash at the end of a line is only allowed in a multi-line string"),
  TOMLErrorCase(
    "control in string", "a = \"bell\u{7}\"\n",
    1, 10, "control character U+0007 is not allowed in a string; write it as the escape \\u0007"),
  TOMLErrorCase(
    "control in literal", "a = 'del\u{7F}'\n",
    1, 9, "control character U+007F is not allowed in a string; write it as the escape \\u007F"),
  TOMLErrorCase(
    "control in multi-line", "a = \"\"\"\nx\u{1B}y\"\"\"\n",
    2, 2, "control character U+001B is not allowed in a string; write it as the escape \\u001B"),
  TOMLErrorCase(
    "control in comment", "# note \u{0}\n",
    1, 8, "control character U+0000 is not allowed in a comment"),
  TOMLErrorCase(
    "bare carriage return", "a = 1\rb = 2\n",
    1, 6, "a carriage return (U+000D) must be followed by a line feed"),
  TOMLErrorCase(
    "leading zeros", "port = 025\n",
    1, 8, "invalid number '025': leading zeros are not allowed (write 25)"),
  TOMLErrorCase(
    "leading zeros float", "x = -01.5\n",
    1, 5, "invalid number '-01.5': leading zeros are not allowed (write -1.5)"),
  TOMLErrorCase(
    "double underscore", "x = 1__000\n",
    1, 5, "invalid number '1__000' (an underscore must be between two digits)"),
  TOMLErrorCase(
    "trailing dot", "x = 1.\n",
    1, 5, "invalid number '1.' (a decimal point must have digits on both sides)"),
  TOMLErrorCase(
    "signed hex", "x = -0xFF\n",
    1, 5, "invalid number '-0xFF': hexadecimal, octal and binary numbers cannot have a sign"),
  TOMLErrorCase(
    "version string", "version = 1.2.3\n",
    1, 11, "invalid number '1.2.3' (if this is meant as text, put it in quotes)"),
  TOMLErrorCase(
    "bad octal", "mode = 0o789\n",
    1, 8, "invalid number '0o789' (if this is meant as text, put it in quotes)"),
  TOMLErrorCase(
    "overflow", "x = 9223372036854775808\n",
    1, 5,
    "integer '9223372036854775808' is out of range; integers must be between -9223372036854775808 and 9223372036854775807"
  ),
  TOMLErrorCase(
    "unquoted text", "mode = fast\n",
    1, 8, "expected a value, found 'fast' (text must be written in quotes, like \"fast\")"),
  TOMLErrorCase(
    "capital boolean", "enabled = True\n",
    1, 11, "invalid value 'True': write booleans in lower case, true or false"),
  TOMLErrorCase(
    "missing equals", "url \"smtp://a\"\n",
    1, 5, "expected '=' after key 'url', found '\"smtp://a\"'"),
  TOMLErrorCase(
    "key with space", "first name = \"Mette\"\n",
    1, 7,
    "expected '=' after key 'first', found 'name' (keys containing spaces or letters outside A-Z must be in quotes)"
  ),
  TOMLErrorCase(
    "missing value", "url =\n",
    1, 6, "missing value for key 'url': the value must be on the same line as the '='"),
  TOMLErrorCase(
    "garbage after value", "port = 25 26\n",
    1, 11, "unexpected '26' after the value; expected the end of the line or a # comment"),
  TOMLErrorCase(
    "garbage after string", "name = \"a\" \"b\"\n",
    1, 12, "unexpected '\"b\"' after the value; expected the end of the line or a # comment"),
  TOMLErrorCase(
    "garbage after header", "[relays] x = 1\n",
    1, 10, "unexpected 'x' after the table header; expected the end of the line or a # comment"),
  TOMLErrorCase(
    "newline in inline table", "headers = { a = 1,\n  b = 2 }\n",
    1, 19,
    "an inline table { ... } must be written on a single line; found a line break before its closing '}'"
  ),
  TOMLErrorCase(
    "trailing comma in inline", "p = { x = 1, }\n",
    1, 12, "a trailing comma is not allowed in an inline table"),
  TOMLErrorCase(
    "missing comma in inline", "p = { x = 1 y = 2 }\n",
    1, 13, "expected ',' or '}' in the inline table, found 'y'"),
  TOMLErrorCase(
    "missing comma in array", "a = [\n  \"x\"\n  \"y\"\n]\n",
    3, 3, "expected ',' or ']' after an array element, found '\"y\"'"),
  TOMLErrorCase(
    "unterminated array", "a = [1,\n2\n",
    1, 5, "unterminated array: the closing ']' is missing"),
  TOMLErrorCase(
    "unclosed header", "[relays.local\n",
    1, 14, "expected ']' to close the table header, found end of line"),
  TOMLErrorCase(
    "unclosed array header", "[[recipients]\n",
    1, 14, "expected ']]' to close the array of tables header, found end of line"),
  TOMLErrorCase(
    "empty header", "[]\n",
    1, 2, "expected a key, found ']'"),
  TOMLErrorCase(
    "multi-line key", "\"\"\"k\"\"\" = 1\n",
    1, 1, "a multi-line string cannot be used as a key"),
  TOMLErrorCase(
    "bad month", "d = 2024-13-01\n",
    1, 5, "invalid date-time '2024-13-01': the month must be between 01 and 12"),
  TOMLErrorCase(
    "bad day", "d = 2023-02-29\n",
    1, 5, "invalid date-time '2023-02-29': the day must be between 01 and 28 for that month"),
  TOMLErrorCase(
    "no seconds", "t = 2024-01-01T10:00\n",
    1, 5,
    "invalid date-time '2024-01-01T10:00': expected a time like 07:32:00 (seconds are required)"),
  TOMLErrorCase(
    "offset on local time", "t = 10:00:00Z\n",
    1, 5, "invalid date-time '10:00:00Z': unexpected text after the time"),
  TOMLErrorCase(
    "non-ascii bare key", "blå = 1\n",
    1, 3,
    "expected '=' after key 'bl', found 'å' (keys containing spaces or letters outside A-Z must be in quotes)"
  ),
  TOMLErrorCase(
    "column counts Unicode scalars", "\"å\" = \"æøå\" 1\n",
    1, 13, "unexpected '1' after the value; expected the end of the line or a # comment"),
]

/// Invalid documents and where their errors point.
@Suite struct TOMLParserErrorTests {
  @Test(arguments: tomlErrorCases)
  func invalidDocumentsAreRejectedWithPosition(_ errorCase: TOMLErrorCase) {
    let error = tomlParseError(errorCase.source)
    #expect(error?.message == errorCase.message)
    #expect(error?.line == errorCase.line)
    #expect(error?.column == errorCase.column)
    #expect(error?.file == "test.toml")
  }

  @Test func errorDescriptionNamesFileLineAndColumn() {
    let source = "data_dir = \"var\"\n[relays.local]\nurl = \"a\"\n\n\n\n           url = \"b\"\n"
    #expect(
      tomlParseError(source, file: "commsd.toml")?.description
        == "commsd.toml:7:12: duplicate key 'url' (first defined on line 3)")
  }

  @Test func linesAreCountedThroughMultiLineValuesAndCRLF() {
    let source =
      "a = \"\"\"\r\none\r\ntwo\"\"\"\r\nb = [\r\n  1,\r\n  2,\r\n]\r\nc = '''\nx\n'''\nc = 1\r\n"
    let error = tomlParseError(source)
    #expect(error?.line == 11)
    #expect(error?.message == "duplicate key 'c' (first defined on line 8)")
  }

  @Test func deeplyNestedArraysAreRejected() {
    let source = "a = " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
    let error = tomlParseError(source)
    #expect(error?.line == 1)
    #expect(error?.column == 133)
    #expect(
      error?.message == "arrays and inline tables are nested too deeply (more than 128 levels)")
  }

  @Test func validLookalikesAreAccepted() throws {
    // Each of these is close to an error case above but is valid TOML.
    let sources = [
      "a = 0\nb = 0.5\nc = 0e1\nd = 0x00FF\ne = 1e06",
      "d = 1979-05-27 # a date followed by a comment",
      "s = \"\"\"two quotes before the end\"\"\"\"\"",
      "a.b = 1\n[a.c]\nd = 2",
      "[x.y]\n[x]\n[x.z]",
      "[[a]]\n[a.b]\n[[a]]\n[a.b]",
      "k = \"\"\"\\\n   \n   text\"\"\"",
    ]
    for source in sources {
      #expect(tomlParseError(source) == nil, "\(source)")
    }
  }
}
