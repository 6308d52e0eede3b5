import Foundation
import Testing

@testable import CommsCore

/// What the reader refuses, and that each refusal names the element.
@Suite struct CAPReaderRefusalTests {
  typealias Case = (data: Data, path: String, message: String)

  static func check(_ cases: [Case], sourceLocation: SourceLocation = #_sourceLocation) {
    for (data, path, message) in cases {
      let error = CAPFixtures.refusal(data)
      #expect(error?.path == path, "\(String(describing: error))", sourceLocation: sourceLocation)
      #expect(
        error?.message.contains(message) == true, "\(String(describing: error))",
        sourceLocation: sourceLocation)
    }
  }

  @Test func minimalDocumentIsValid() throws {
    let alert = try CAPReader.parse(CAPFixtures.minimal())
    #expect(alert.infos.first?.areas.first?.areaDesc == "Here")
  }

  /// `<?name?>` (a processing instruction without data) made Foundation's
  /// XMLParser on Linux dereference a null pointer: one POST /v1/cap
  /// stopped the daemon (found by HostileInputFuzzTests). Refused with its
  /// line; a processing instruction with data is still read.
  @Test func aProcessingInstructionWithoutDataIsRefusedNotACrash() throws {
    let text = String(decoding: CAPFixtures.minimal(), as: UTF8.self)
    for instruction in ["<?foo?>", "<?xml?>"] {
      let error = CAPFixtures.refusal(
        Data(text.replacingOccurrences(of: "<alert ", with: "\(instruction)\n<alert ").utf8))
      #expect(error?.message.contains("processing instruction without data") == true)
      #expect(error?.line == 2, "\(String(describing: error))")
    }
    let styled = text.replacingOccurrences(
      of: "<alert ", with: "<?xml-stylesheet href=\"cap.xsl\" type=\"text/xsl\"?>\n<alert ")
    #expect(CAPFixtures.refusal(Data(styled.utf8)) == nil)
  }

  @Test func badEnumerationNamesTheElementTheValueAndTheLine() {
    let error = CAPFixtures.refusal(
      CAPFixtures.minimal(("<urgency>Immediate</urgency>", "<urgency>Soon</urgency>")))
    #expect(
      error?.description
        == "alert/info[1]/urgency: \"Soon\" is not one of Immediate, Expected, Future, Past,"
        + " Unknown (line 12)")
  }

  @Test func secondInfoIsCountedInThePath() {
    let second = """
        <info><category>Safety</category><event>E</event><urgency>Soon</urgency>
          <severity>Minor</severity><certainty>Likely</certainty></info>
      </alert>
      """
    Self.check([
      (CAPFixtures.minimal(("</alert>", second)), "alert/info[2]/urgency", "\"Soon\" is not one of")
    ])
  }

  @Test func missingRequiredElements() {
    Self.check([
      (
        CAPFixtures.minimal(("<urgency>Immediate</urgency>", "")), "alert/info[1]/urgency",
        "is required"
      ),
      (
        CAPFixtures.minimal(("<identifier>X-1</identifier>", "")), "alert/identifier", "is required"
      ),
      (
        CAPFixtures.minimal(("<sent>2025-01-02T03:04:05+01:00</sent>", "")), "alert/sent",
        "is required"
      ),
      (CAPFixtures.minimal(("<scope>Public</scope>", "")), "alert/scope", "is required"),
      (
        CAPFixtures.minimal(("<category>Safety</category>", "")), "alert/info[1]/category",
        "is required"
      ),
      (CAPFixtures.minimal(("<event>Drill</event>", "")), "alert/info[1]/event", "is required"),
      (
        CAPFixtures.minimal(("<event>Drill</event>", "<event> </event>")), "alert/info[1]/event",
        "must not be empty"
      ),
      (
        CAPFixtures.minimal(("<certainty>Observed</certainty>", "")), "alert/info[1]/certainty",
        "is required"
      ),
      (
        CAPFixtures.minimal(("<areaDesc>Here</areaDesc>", "")), "alert/info[1]/area[1]/areaDesc",
        "is required"
      ),
    ])
  }

  @Test func badEnumerations() {
    Self.check([
      (
        CAPFixtures.minimal(("<status>Actual</status>", "<status>Real</status>")), "alert/status",
        "\"Real\" is not one of Actual, Exercise, System, Test, Draft"
      ),
      (
        CAPFixtures.minimal(("<msgType>Alert</msgType>", "<msgType>alert</msgType>")),
        "alert/msgType",
        "is not one of Alert, Update, Cancel, Ack, Error"
      ),
      (
        CAPFixtures.minimal(("<category>Safety</category>", "<category>Weather</category>")),
        "alert/info[1]/category[1]", "is not one of Geo, Met"
      ),
      (
        CAPFixtures.minimal(("<severity>Severe</severity>", "<severity>High</severity>")),
        "alert/info[1]/severity", "is not one of Extreme, Severe, Moderate, Minor, Unknown"
      ),
      (
        CAPFixtures.minimal(("<certainty>Observed</certainty>", "<certainty>Sure</certainty>")),
        "alert/info[1]/certainty", "is not one of Observed, Likely, Possible, Unlikely, Unknown"
      ),
      (
        CAPFixtures.minimal(("<event>", "<responseType>Run</responseType><event>")),
        "alert/info[1]/responseType[1]", "is not one of Shelter, Evacuate"
      ),
    ])
  }

  @Test func referencesAreRequiredForUpdateCancelAckAndError() {
    for type in ["Update", "Cancel", "Ack", "Error"] {
      Self.check([
        (
          CAPFixtures.minimal(("<msgType>Alert</msgType>", "<msgType>\(type)</msgType>")),
          "alert/references", "required when msgType is \(type)"
        )
      ])
    }
  }

  @Test func referencesMustBeTriples() {
    func references(_ text: String) -> Data {
      CAPFixtures.minimal(
        ("<msgType>Alert</msgType>", "<msgType>Update</msgType><references>\(text)</references>"))
    }
    Self.check([
      (
        references("ops@example.dk,X-0"), "alert/references",
        "is not a sender,identifier,sent triple"
      ),
      (references("ops@example.dk,X-0,2025-01-02"), "alert/references", "is not a CAP date-time"),
      (
        references(",X-0,2025-01-02T03:04:05+01:00"), "alert/references", "sender must not be empty"
      ),
      (references("a,X&amp;0,2025-01-02T03:04:05+01:00"), "alert/references", "must not contain"),
      (references("  "), "alert/references", "at least one"),
    ])
    #expect(
      CAPFixtures.refusal(references("a,X-0,2025-01-02T03:04:05+01:00 b,X-1,2025-01-02T03:04:05Z"))
        != nil)
  }

  @Test func scopeNeedsRestrictionOrAddresses() {
    Self.check([
      (
        CAPFixtures.minimal(("<scope>Public</scope>", "<scope>Restricted</scope>")),
        "alert/restriction", "required when scope is Restricted"
      ),
      (
        CAPFixtures.minimal(
          ("<scope>Public</scope>", "<scope>Private</scope><addresses> </addresses>")),
        "alert/addresses", "required when scope is Private"
      ),
    ])
  }

  @Test func identifierAndSenderHaveNoSpacesCommasOrRestrictedCharacters() {
    Self.check([
      (CAPFixtures.minimal(("X-1", "X 1")), "alert/identifier", "must not contain"),
      (CAPFixtures.minimal(("X-1", "X,1")), "alert/identifier", "must not contain"),
      (CAPFixtures.minimal(("X-1", "X&amp;1")), "alert/identifier", "must not contain"),
      (CAPFixtures.minimal(("X-1", "X&lt;1")), "alert/identifier", "must not contain"),
      (CAPFixtures.minimal(("X-1", "")), "alert/identifier", "must not be empty"),
      (
        CAPFixtures.minimal(("ops@example.dk", "ops@example.dk,x")), "alert/sender",
        "must not contain"
      ),
    ])
  }

  @Test func datesMustBeInTheCAPForm() {
    let sent = "2025-01-02T03:04:05+01:00"
    for bad in [
      "2025-01-02T03:04:05Z", "2025-01-02T03:04:05.5+01:00", "2025-01-02T03:04:05",
      "2025-01-02 03:04:05+01:00", "2025-02-29T03:04:05+01:00", "2025-13-02T03:04:05+01:00",
      "2025-01-02T24:00:00+01:00", "2025-01-02T03:04:60+01:00", "2025-01-02T03:04:05+15:00",
      "2025-1-02T03:04:05+01:00", "yesterday",
    ] {
      Self.check([(CAPFixtures.minimal((sent, bad)), "alert/sent", "is not a CAP date-time")])
    }
    Self.check([
      (
        CAPFixtures.minimal(("<area>", "<expires>2025-01-02</expires><area>")),
        "alert/info[1]/expires", "is not a CAP date-time like 2003-04-02T14:39:01-05:00"
      ),
      (
        CAPFixtures.minimal(("<area>", "<onset>soon</onset><area>")), "alert/info[1]/onset",
        "is not"
      ),
    ])
    #expect(CAPFixtures.refusal(CAPFixtures.minimal((sent, "2024-02-29T23:59:59-00:00"))) == nil)
  }

  @Test func onlyTheCAP12NamespaceIsRead() {
    let cap12 = "urn:oasis:names:tc:emergency:cap:1.2"
    Self.check([
      (CAPFixtures.minimal((cap12, "urn:oasis:names:tc:emergency:cap:1.1")), "alert", "is CAP 1.1"),
      (CAPFixtures.minimal((cap12, "http://www.incident.com/cap/1.0")), "alert", "is CAP 1.0"),
      (CAPFixtures.minimal((" xmlns=\"\(cap12)\"", "")), "alert", "is in no namespace"),
      (CAPFixtures.minimal((cap12, "urn:example:other")), "alert", "namespace urn:example:other"),
    ])
    let error = CAPFixtures.refusal(
      CAPFixtures.minimal((cap12, "urn:oasis:names:tc:emergency:cap:1.1")))
    #expect(error?.message.contains("only CAP 1.2 (\(cap12)) is read") == true)
  }

  @Test func unknownMisplacedAndRepeatedElements() {
    Self.check([
      (
        CAPFixtures.minimal(("<event>", "<urgent>Yes</urgent><event>")), "alert/info[1]/urgent",
        "is not a CAP 1.2 element"
      ),
      (
        CAPFixtures.minimal(("<event>", "<areaDesc>There</areaDesc><event>")),
        "alert/info[1]/areaDesc", "is not allowed inside info"
      ),
      (
        CAPFixtures.minimal(
          ("<scope>Public</scope>", "<scope>Public</scope><status>Test</status>")),
        "alert/status", "appears more than once"
      ),
      (
        CAPFixtures.minimal(("<event>", "<foo xmlns=\"\">x</foo><event>")), "alert/info[1]/foo",
        "is in no namespace"
      ),
      (
        CAPFixtures.minimal(("X-1</identifier>", "X-1<value>v</value></identifier>")),
        "alert/identifier/value",
        "is not allowed inside identifier"
      ),
      (
        CAPFixtures.minimal(("<event>", "stray<event>")), "alert/info[1]",
        "has text outside its elements"
      ),
      (
        CAPFixtures.minimal(
          ("<areaDesc>Here</areaDesc>", "<areaDesc>Here</areaDesc><areaDesc>Too</areaDesc>")),
        "alert/info[1]/area[1]/areaDesc", "appears more than once"
      ),
    ])
  }

  @Test func elementsOfOtherNamespacesAreSkipped() throws {
    let alert = try CAPReader.parse(
      CAPFixtures.minimal(
        (
          "<event>",
          "<x:extra xmlns:x=\"urn:example:x\"><x:urgency>Soon</x:urgency></x:extra><event>"
        )))
    #expect(alert.infos.first?.urgency == .immediate)
  }

  @Test func documentTypeDeclarationsAreRefused() {
    let laughs = """
      <?xml version="1.0"?>
      <!DOCTYPE alert [
        <!ENTITY lol "lol">
        <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
      ]>
      <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>
      """
    let external = """
      <?xml version="1.0"?>
      <!DOCTYPE alert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
      <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><note>&secret;</note></alert>
      """
    let plain = CAPFixtures.minimal(("<alert ", "<!DOCTYPE alert SYSTEM \"cap.dtd\">\n<alert "))
    for data in [Data(laughs.utf8), Data(external.utf8), plain] {
      let error = CAPFixtures.refusal(data)
      #expect(error?.path == "")
      #expect(error?.message.contains("DOCTYPE") == true)
      #expect(error?.line == 2)
    }
  }

  @Test func documentLevelRefusals() {
    let huge = CAPFixtures.minimal(
      ("</scope>", "</scope><note>" + String(repeating: "x", count: 1 << 20) + "</note>"))
    Self.check([
      (huge, "", "at most 1048576"),
      (Data([0x3C, 0x61, 0xE6, 0x3E]), "", "not UTF-8"),
      (CAPFixtures.minimal(("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"")), "", "only UTF-8"),
      (CAPFixtures.minimal(("</alert>", "")), "alert", "not well-formed XML"),
      (Data(), "", "is empty"),
    ])
  }

  @Test func areaRules() {
    func area(_ extra: String) -> Data {
      CAPFixtures.minimal(("<areaDesc>Here</areaDesc>", "<areaDesc>Here</areaDesc>\(extra)"))
    }
    Self.check([
      (
        area("<polygon>1,1 1,2 2,2 1,1.5</polygon>"), "alert/info[1]/area[1]/polygon[1]",
        "is not closed"
      ),
      (area("<polygon>1,1 1,2 1,1</polygon>"), "alert/info[1]/area[1]/polygon[1]", "at least 4"),
      (
        area("<polygon>1,1 1,2 2,2 1,1</polygon><polygon>1,1 91,2 2,2 1,1</polygon>"),
        "alert/info[1]/area[1]/polygon[2]", "\"91,2\" is not a WGS 84"
      ),
      (
        area("<circle>55.6,12.6</circle>"), "alert/info[1]/area[1]/circle[1]",
        "is not \"lat,lon radius\""
      ),
      (area("<circle>55.6,12.6 -1</circle>"), "alert/info[1]/area[1]/circle[1]", "radius"),
      (area("<ceiling>100</ceiling>"), "alert/info[1]/area[1]/altitude", "required when ceiling"),
      (area("<altitude>1e3</altitude>"), "alert/info[1]/area[1]/altitude", "not a decimal"),
      (
        area("<geocode><valueName>SAME</valueName></geocode>"),
        "alert/info[1]/area[1]/geocode[1]/value",
        "is required"
      ),
    ])
  }

  @Test func languageTags() {
    func language(_ tag: String) -> Data {
      CAPFixtures.minimal(("<category>", "<language>\(tag)</language><category>"))
    }
    Self.check([
      (language("da_DK"), "alert/info[1]/language", "is not a language tag"),
      (language(""), "alert/info[1]/language", "is not a language tag"),
      (language("1da"), "alert/info[1]/language", "is not a language tag"),
    ])
    #expect((try? CAPReader.parse(language("sgn-DK")))?.infos.first?.language == "sgn-DK")
  }

  @Test func lenientWhereTheStandardAllows() throws {
    let alert = try CAPReader.parse(
      CAPFixtures.minimal(
        ("<certainty>Observed</certainty>", "<certainty>Very Likely</certainty>"),
        ("<status>Actual</status>", "<status>\n    Test\n  </status>"),
        ("<msgType>Alert</msgType>", ""),
        ("<scope>Public</scope>", "<scope>Public</scope><msgType>Alert</msgType>")))
    #expect(alert.infos.first?.certainty == .likely)
    #expect(alert.status == .test)
    #expect(alert.infos.first?.language == "en-US")
  }
}
