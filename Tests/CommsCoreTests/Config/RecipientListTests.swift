import Foundation
import Testing

@testable import CommsCore

@Suite struct RecipientListTests {
  static let repository: String = {
    var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
  }()

  static let audiences: Set<String> = ["staff", "relatives", "council", "police"]
  static let endpoints: ContactEndpoints = ["sms", "intranet", "police"]
  static let file = "/etc/commsd/recipients/relatives.csv"

  func parse(_ text: String) -> RecipientList {
    RecipientListReader.parseList(
      text, file: Self.file, audiences: Self.audiences, endpoints: Self.endpoints)
  }

  /// The errors as an operator reads them, without the file name.
  func errors(_ text: String) -> [String] {
    parse(text).errors.map { error in
      #expect(error.file == Self.file)
      return error.key.isEmpty
        ? "\(error.line): \(error.message)" : "\(error.line): \(error.key): \(error.message)"
    }
  }

  static let header = "id;name;audiences;contacts;language;unit;role\n"

  @Test func readsGoodRowsWithAttributesAndContactsInOrderOfPreference() {
    let list = parse(
      Self.header + """
        care-2001;Jens Pedersen;relatives;jens.pedersen@example.net;da;solgaarden;pårørende
        care-2002;Anna Kowalski;relatives|staff;anna@example.org | sms:+4520000013;en;aabo;
        care-2003;Søren Ærø Østergård;relatives;intranet:soeren|mailto:soeren@example.dk;;;
        """)
    #expect(list.errors == [])
    #expect(list.entries.map(\.line) == [2, 3, 4])
    #expect(
      list.recipients[0]
        == Recipient(
          id: "care-2001", name: "Jens Pedersen", audiences: ["relatives"],
          contacts: [.email(address: "jens.pedersen@example.net")], language: "da",
          timeZone: "Europe/Copenhagen", attributes: ["unit": "solgaarden", "role": "pårørende"]))
    #expect(list.recipients[1].audiences == ["relatives", "staff"])
    #expect(
      list.recipients[1].contacts == [
        .email(address: "anna@example.org"), .webhook(endpoint: "sms", address: "+4520000013"),
      ])
    #expect(list.recipients[1].attributes == ["unit": "aabo"])
    #expect(list.recipients[2].name == "Søren Ærø Østergård")
    #expect(
      list.recipients[2].contacts == [
        .webhook(endpoint: "intranet", address: "soeren"), .email(address: "soeren@example.dk"),
      ])
    #expect(list.recipients[2].language == "da")
    #expect(list.recipients[2].attributes == [:])
  }

  @Test func headerNamesAreTrimmedAndLowerCasedAndTimeZoneIsRead() {
    let list = parse(
      """
       ID , Name,AUDIENCES,Contacts,Time_Zone, Unit
      hr-1001,Mette Hansen,staff,mette@kommune.example,Atlantic/Faroe,Rådhuset
      """)
    #expect(list.errors == [])
    #expect(list.recipients.first?.timeZone == "Atlantic/Faroe")
    #expect(list.recipients.first?.attributes == ["unit": "Rådhuset"])
  }

  @Test(arguments: [",", ";"])
  func detectsTheDelimiterFromTheHeader(delimiter: String) {
    let rows = [
      ["id", "name", "audiences", "contacts", "unit"],
      ["hr-1001", "Mette Hansen", "staff", "mette@kommune.example", "rådhuset"],
      ["hr-1002", "Ole Bæk", "staff", "sms:+4520001002", "aabo"],
    ]
    let list = parse(rows.map { $0.joined(separator: delimiter) }.joined(separator: "\n"))
    #expect(list.errors == [])
    #expect(list.recipients.map(\.id) == ["hr-1001", "hr-1002"])
    #expect(list.recipients.map { $0.attributes["unit"] } == ["rådhuset", "aabo"])
  }

  @Test func quotedCellsHoldDelimitersQuotesAndLineBreaksAndLaterLinesStayRight() {
    let list = parse(
      "id;name;audiences;contacts;note\n"
        + "care-2001;\"Pedersen; Jens \"\"JP\"\"\";relatives;jens@example.net;\"first line\nsecond; line\"\n"
        + "care-2002;Anna Kowalski;relatives;anna@example.org;\"three\r\nline\nnote\"\n"
        + "care-2003;Ole Bæk;relatives;sms:12345;\n"
        + "care-2004;\"Hanne Bæk\";relatives;hanne@example.dk;\n")
    #expect(list.recipients.map(\.name) == ["Pedersen; Jens \"JP\"", "Anna Kowalski", "Hanne Bæk"])
    #expect(list.recipients[0].attributes["note"] == "first line\nsecond; line")
    #expect(list.recipients[1].attributes["note"] == "three\nline\nnote")
    #expect(list.entries.map(\.line) == [2, 4, 8])
    #expect(list.errors.map(\.line) == [7])
    #expect(list.errors.map(\.key) == ["contacts"])
  }

  @Test func byteOrderMarkAndCRLFAreAccepted() {
    let text =
      "\u{FEFF}id,name,audiences,contacts,role\r\n"
      + "hr-1001,Mette Hansen,staff,mette@kommune.example,sygeplejerske\r\n"
      + "hr-1002,Ole Bæk,staff,sms:+4520001002,\"vikar, nat\"\r\n"
      + "hr-1003,Lis Holm,staff,lis@kommune.example,\r\n"
    let list = parse(text)
    #expect(list.errors == [])
    #expect(list.recipients.map(\.id) == ["hr-1001", "hr-1002", "hr-1003"])
    #expect(list.entries.map(\.line) == [2, 3, 4])
    #expect(list.recipients[0].attributes == ["role": "sygeplejerske"])
    #expect(list.recipients[1].attributes == ["role": "vikar, nat"])
    #expect(list.recipients[2].attributes == [:])
    #expect(list.recipients[1].contacts == [.webhook(endpoint: "sms", address: "+4520001002")])
  }

  @Test func blankLinesCommentsAndEmptyRowsAreSkipped() {
    let list = parse(
      """
      # Exported from the care system, 2026-11-25

      id;name;audiences;contacts;;
      care-2001;Jens Pedersen;relatives;jens@example.net;;

      # Solgården
      care-2002;"#2 Anna";relatives;anna@example.org;;
      ;;;;;
      """)
    #expect(list.errors == [])
    #expect(list.entries.map(\.line) == [4, 7])
    #expect(list.recipients[1].name == "#2 Anna")
  }

  @Test func everyBadRowIsReportedWithLineAndColumnAndGoodRowsAreKept() {
    let text =
      "id;name;audiences;contacts;language;time_zone;unit\n"
      + "care-2001;Jens Pedersen;relatives;jens@example.net;da;;solgaarden\n"
      + "care-2002;Anna Kowalski;relatives;anna@example.org;en\n"
      + "care-2003;Ole Bæk;relatives;ole@example.dk;da;;aabo;extra\n"
      + ";Ingen Id;relatives;x@example.dk;;;\n"
      + "care-2005;;relatives;x@example.dk;;;\n"
      + "care-2006;Uden Publikum;;x@example.dk;;;\n"
      + "care-2007;Uden Kontakt;relatives;;;;\n"
      + "care-2008;Forkert Mail;relatives;jens@@example.net;;;\n"
      + "care-2009;Forkert Nummer;relatives;sms:+45 2000 0009;;;\n"
      + "care-2010;Ukendt Publikum;relatives|citizens;x@example.dk;;;\n"
      + "care-2011;Ukendt Endpoint;relatives;teams:channel-1;;;\n"
      + "care-2001;Dobbelt Id;relatives;x@example.dk;;;\n"
      + "care-2013;Forkert Zone;relatives;x@example.dk;;Europe/Kbh;\n"
      + "care-2014;Forkert Sprog;relatives;x@example.dk;dansk_1;;\n"
      + "care-2015;Hanne Bæk;relatives;hanne@example.dk;;;aabo\n"
    let list = parse(text)
    #expect(list.recipients.map(\.id) == ["care-2001", "care-2015"])
    #expect(list.entries.map(\.line) == [2, 16])
    let lines = errors(text)
    #expect(lines.count == 13)
    let expected: [(String, String)] = [
      (
        "3: time_zone: ",
        "the row has 5 cells but the header names 7 columns; no cell for time_zone, unit"
      ),
      ("4: ", "the row has 8 cells but the header names 7 columns"),
      ("5: id: ", "empty"),
      ("6: name: ", "empty"),
      ("7: audiences: ", "empty"),
      ("8: contacts: ", "empty"),
      ("9: contacts: ", "not a valid email address"),
      ("10: contacts: ", "invalid phone number in a contact"),
      (
        "11: audiences: ",
        "unknown audience \"citizens\"; the configured audiences are council, police, relatives, staff"
      ),
      ("12: contacts: ", "names no configured endpoint \"teams\""),
      ("13: id: ", "duplicate recipient id \"care-2001\" (first defined on line 2)"),
      ("14: time_zone: ", "unknown time zone \"Europe/Kbh\""),
      ("15: language: ", "invalid language code \"dansk_1\""),
    ]
    for (index, (prefix, fragment)) in expected.enumerated() where index < lines.count {
      #expect(lines[index].hasPrefix(prefix), "\(lines[index])")
      #expect(lines[index].contains(fragment), "\(lines[index])")
    }
    // No phone number or address of a bad row is repeated: errors reach the
    // journal and the audit chain (config.refused).
    #expect(!lines.contains { $0.contains("2000 0009") || $0.contains("example.") }, "\(lines)")
  }

  @Test func aRowWithSeveralProblemsReportsEachOne() {
    let lines = errors(
      Self.header + "care-2001;Jens;citizens;jens@@example.net|sms:123;xx_x;;\n")
    #expect(lines.count == 4)
    #expect(lines.allSatisfy { $0.hasPrefix("2: ") })
    #expect(
      lines.map { $0.split(separator: ":")[1] } == [
        " audiences", " contacts", " contacts", " language",
      ])
  }

  @Test func aHeaderWithoutARequiredColumnIsOneErrorOnLineOne() {
    let lines = errors(
      """
      id;navn;audiences;kontakter
      care-2001;Jens Pedersen;relatives;jens@example.net
      """)
    #expect(lines.count == 1)
    #expect(
      lines.first?.hasPrefix("1: the header row lacks the required columns name, contacts") == true)
    #expect(parse("").errors.map(\.line) == [1])
  }

  @Test func aColumnNamedTwiceIsReportedAndCellsInUnnamedColumnsMustBeEmpty() {
    let lines = errors(
      """
      id;name;audiences;contacts;unit;unit;
      care-2001;Jens Pedersen;relatives;jens@example.net;aabo;;
      care-2002;Anna Kowalski;relatives;anna@example.org;aabo;;stray
      """)
    #expect(lines.count == 2)
    #expect(lines.first?.hasPrefix("1: unit: the header names this column twice") == true)
    #expect(
      lines.last?.hasPrefix("3: a cell is in column 7, which has no name") == true)
  }

  @Test func quotingMistakesAreReportedWhereTheyStart() {
    let lines = errors(
      Self.header + "care-2001;\"Jens\" Pedersen;relatives;jens@example.net;;;\n"
        + "care-2002;Anna;relatives;anna@example.org;;;\n"
        + "care-2003;\"Ole Bæk;relatives;ole@example.dk;;;\n"
        + "care-2004;Hanne;relatives;h@example.dk;;;\n")
    #expect(lines.count == 3)
    #expect(lines[0].hasPrefix("2: name: text after the closing quote"))
    #expect(lines[1].hasPrefix("4: name: the quoted cell opened on line 4 is never closed"))
    #expect(lines[2].hasPrefix("4: audiences: the row has 2 cells"))
  }

  @Test func duplicateIdsAcrossListsNameTheFirst() {
    let staff = RecipientListReader.parseList(
      "id,name,audiences,contacts\nhr-1001,Mette,staff,mette@kommune.example\n",
      file: "staff.csv", audiences: Self.audiences, endpoints: Self.endpoints)
    let relatives = RecipientListReader.parseList(
      "id;name;audiences;contacts\n\ncare-2001;Jens;relatives;j@example.net\nhr-1001;Mette;relatives;m@example.net\n",
      file: "relatives.csv", audiences: Self.audiences, endpoints: Self.endpoints)
    #expect(
      RecipientListReader.duplicateErrors([staff, relatives]).map(\.description) == [
        "relatives.csv:4: id: duplicate recipient id \"hr-1001\" (first defined at staff.csv:2)"
      ])
  }

  @Test func aWindows1252ExportIsRefusedNamingTheLine() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "commsd-cp1252-\(UUID().uuidString).csv"
    ).path
    defer { try? FileManager.default.removeItem(atPath: path) }
    var bytes = Array("id;name;audiences;contacts\ncare-2001;S".utf8)
    bytes += [0xF8] + Array("ren;relatives;s@example.dk\n".utf8)  // "ø" in Windows-1252
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let result = RecipientListReader.read(
      path: path, audiences: Self.audiences, endpoints: Self.endpoints)
    #expect(result.recipients == [])
    #expect(result.errors.map(\.line) == [2])
    #expect(result.errors.first?.message.contains("0xF8") == true)
    let missing = RecipientListReader.read(
      path: path + ".missing", audiences: Self.audiences, endpoints: Self.endpoints)
    #expect(missing.errors.first?.message.hasPrefix("cannot read the recipient list") == true)
  }

  @Test(arguments: ["relatives.csv", "staff.csv"])
  func exampleListsReadWithoutErrors(name: String) {
    let list = RecipientListReader.readList(
      path: Self.repository + "/config/example/recipients/" + name, audiences: Self.audiences,
      endpoints: Self.endpoints)
    #expect(list.errors.map(\.description) == [])
    #expect(list.recipients.count >= 6)
    #expect(list.recipients.allSatisfy { $0.attributes["unit"] != nil })
  }

  /// Speed is measured here and printed; the assertion is on correctness only.
  @Test func readsAHundredThousandRows() throws {
    let units = ["solgaarden", "aabo", "birkely", "rosenhaven"]
    var text = "id;name;audiences;contacts;language;unit;role\n"
    text.reserveCapacity(10_000_000)
    for index in 0..<100_000 {
      let unit = units[index % units.count]
      let contacts =
        switch index % 3 {
        case 0: "person\(index)@kommune.example"
        case 1: "sms:+45\(20_000_000 + index)"
        default: "person\(index)@example.net|sms:+45\(30_000_000 + index)"
        }
      let language = index % 10 == 0 ? "en" : "da"
      text +=
        "care-\(index);Søren Østergård \(index);relatives;\(contacts);\(language);\(unit);\"pårørende; nær\"\n"
    }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "commsd-100k-\(UUID().uuidString).csv"
    ).path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try text.write(toFile: path, atomically: false, encoding: .utf8)

    let clock = ContinuousClock()
    var result: (recipients: [Recipient], errors: [ConfigError]) = ([], [])
    let elapsed = clock.measure {
      result = RecipientListReader.read(
        path: path, audiences: Self.audiences, endpoints: Self.endpoints)
    }
    print("RecipientListReader: 100,000 rows read in \(elapsed)")
    #expect(result.errors == [])
    #expect(result.recipients.count == 100_000)
    #expect(result.recipients[99_998].contacts.count == 2)
    #expect(result.recipients[40].attributes == ["unit": "solgaarden", "role": "pårørende; nær"])
  }
}
