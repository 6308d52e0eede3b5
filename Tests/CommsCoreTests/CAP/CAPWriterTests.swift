import Foundation
import Testing

@testable import CommsCore

/// The writer's output reads back as the alert it was given, in the schema's
/// element order, with the documented normalisations.
@Suite struct CAPWriterTests {
  /// An alert with every field set, several of them awkward to write.
  static let everything: CAPAlert = {
    let sent = CAPDateTime.parse("2025-06-01T12:00:00+02:00") ?? Date(timeIntervalSince1970: 0)
    let info = CAPInfo(
      language: "da-DK", categories: [.cbrne, .infra], event: "Gasudslip <nord> & syd",
      responseTypes: [.evacuate, .noAction], urgency: .expected, severity: .extreme,
      certainty: .possible, audience: "Alle \"beboere\"",
      eventCodes: [CAPNamedValue(valueName: "A&B", value: "<1>")],
      effective: sent, onset: sent.addingTimeInterval(60), expires: sent.addingTimeInterval(7200),
      senderName: "Beredskab", headline: "  Overskrift med mellemrum  ",
      description: "Linje 1\r\nLinje 2\n\tIndrykket ]]> slut", instruction: "Gå ind.",
      web: "https://example.dk/a?b=1&c=2", contact: "112",
      parameters: [CAPNamedValue(valueName: "", value: "")],
      resources: [
        CAPResource(
          resourceDesc: "Kort", mimeType: "image/png", size: 1234,
          uri: "https://example.dk/kort.png", derefUri: "aGVq", digest: "abc123")
      ],
      areas: [
        CAPArea(
          areaDesc: "Område",
          polygons: [
            CAPPolygon(points: [
              CAPPoint(latitude: 0.00001, longitude: -0.5), CAPPoint(latitude: 1, longitude: 2),
              CAPPoint(latitude: -89.999999, longitude: 179.123456789),
              CAPPoint(latitude: 0.00001, longitude: -0.5),
            ])
          ],
          circles: [CAPCircle(center: CAPPoint(latitude: 55, longitude: 12), radius: 0.25)],
          geocodes: [CAPNamedValue(valueName: "DK", value: "0101")], altitude: -12.5,
          ceiling: 1e5)
      ])
    return CAPAlert(
      identifier: "DK-1", sender: "ops@example.dk", sent: sent,
      sentText: "2025-06-01T12:00:00+02:00", status: .draft, msgType: .update,
      source: "kilde", scope: .restricted, restriction: "Kun myndigheder",
      addresses: "a@example.dk \"B C\"", codes: ["IPAWSv1.0", "X"], note: "note",
      references: [
        CAPReference(
          sender: "ops@example.dk", identifier: "DK-0", sent: "2025-06-01T11:00:00-00:00"),
        CAPReference(
          sender: "ops@example.dk", identifier: "DK-0b", sent: "2025-06-01T11:30:00+02:00"),
      ],
      incidents: "INC-1 \"INC 2\"",
      infos: [
        info,
        CAPInfo(
          categories: [.other], event: "E", urgency: .unknown, severity: .unknown,
          certainty: .unknown),
      ])
  }()

  @Test func everyFieldRoundTrips() throws {
    let xml = CAPWriter.xml(Self.everything)
    #expect(try CAPReader.parse(Data(xml.utf8)) == Self.everything, "\(xml)")
  }

  @Test func elementsAreWrittenInSchemaOrder() throws {
    let xml = CAPWriter.xml(Self.everything)
    let alertOrder = [
      "identifier", "sender", "sent", "status", "msgType", "source", "scope", "restriction",
      "addresses", "code", "note", "references", "incidents", "info",
    ]
    let infoOrder = [
      "language", "category", "event", "responseType", "urgency", "severity", "certainty",
      "audience", "eventCode", "effective", "onset", "expires", "senderName", "headline",
      "description", "instruction", "web", "contact", "parameter", "resource", "area",
    ]
    let areaOrder = ["areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling"]
    for order in [alertOrder, infoOrder, areaOrder] {
      let offsets = try order.map { name in
        try #require(xml.range(of: "<\(name)>")?.lowerBound, "no <\(name)>")
      }
      #expect(offsets == offsets.sorted(), "\(order)")
    }
    #expect(
      xml.hasPrefix(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n"
      ))
  }

  @Test func textIsEscaped() {
    let xml = CAPWriter.xml(Self.everything)
    #expect(xml.contains("<event>Gasudslip &lt;nord&gt; &amp; syd</event>"))
    #expect(
      xml.contains("<description>Linje 1&#13;\nLinje 2\n\tIndrykket ]]&gt; slut</description>"))
    #expect(CAPWriter.escaped("a\u{0}b\u{1B}c\u{FFFF}") == "a\u{FFFD}b\u{FFFD}c\u{FFFD}")
  }

  @Test func sentKeepsItsTextOnlyWhileTheTextIsTrue() throws {
    var alert = Self.everything
    #expect(CAPWriter.xml(alert).contains("<sent>2025-06-01T12:00:00+02:00</sent>"))
    alert.sent = alert.sent.addingTimeInterval(1)
    #expect(CAPWriter.xml(alert).contains("<sent>2025-06-01T10:00:01+00:00</sent>"))
    alert.sentText = "not a date"
    #expect(CAPWriter.xml(alert).contains("<sent>2025-06-01T10:00:01+00:00</sent>"))
    let built = CAPAlert(
      identifier: "A", sender: "B", sent: Date(timeIntervalSince1970: 1.75), status: .actual,
      msgType: .alert, scope: .public)
    #expect(built.sentText == "1970-01-01T00:00:01+00:00")  // whole seconds, UTC
  }

  @Test func normalisationsAreTheDocumentedOnes() throws {
    let read = try CAPReader.parse(
      CAPFixtures.minimal(("<certainty>Observed</certainty>", "<certainty>Very Likely</certainty>"))
    )
    let xml = CAPWriter.xml(read)
    #expect(xml.contains("<certainty>Likely</certainty>"))
    #expect(xml.contains("<language>en-US</language>"))  // the default, written out
    #expect(xml.contains("<sent>2025-01-02T03:04:05+01:00</sent>"))
    #expect(try CAPReader.parse(Data(xml.utf8)) == read)
    var withFraction = read
    withFraction.infos[0].expires = Date(timeIntervalSince1970: 100.9)
    let again = try CAPReader.parse(Data(CAPWriter.xml(withFraction).utf8))
    #expect(again.infos[0].expires == Date(timeIntervalSince1970: 100))
  }

  @Test func decimalsAreWrittenWithoutExponents() {
    let cases: [(Double, String)] = [
      (35, "35"), (-120.14, "-120.14"), (0.00001, "0.00001"), (-1.5e-7, "-0.00000015"),
      (1e16, "10000000000000000"), (1.25e17, "125000000000000000"), (0, "0"), (2.5, "2.5"),
    ]
    for (value, text) in cases {
      #expect(CAPDecimal.format(value) == text)
      #expect(CAPDecimal.parse(text) == value)
    }
    for bad in ["1e3", "inf", "nan", "", "-", "1.2.3", "+-1", "0x10", " 1"] {
      #expect(CAPDecimal.parse(bad) == nil, "\(bad)")
    }
    #expect(CAPDecimal.parse(".5") == 0.5)
  }

  @Test func dateTimeForm() {
    #expect(
      CAPDateTime.parse("2003-04-02T14:39:01-05:00") == CAPFixtures.utc("2003-04-02T19:39:01"))
    #expect(
      CAPDateTime.parse("2025-01-01T00:00:00-00:00")
        == CAPDateTime.parse("2025-01-01T00:00:00+00:00"))
    #expect(CAPDateTime.parse("2024-02-29T00:00:00+14:00") != nil)
    #expect(CAPDateTime.parse("1900-02-29T00:00:00+00:00") == nil)
    #expect(CAPDateTime.parse("2000-02-29T00:00:00+00:00") != nil)
    #expect(CAPDateTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00+00:00")
    #expect(CAPDateTime.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59+00:00")
    #expect(
      CAPDateTime.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00+00:00")
    #expect(CAPDateTime.format(Date(timeIntervalSince1970: 1e12)) == "9999-12-31T23:59:59+00:00")
    for text in [
      "0001-01-01T00:00:00+00:00", "2038-01-19T03:14:08+00:00", "9999-12-31T23:59:59+00:00",
    ] {
      #expect(CAPDateTime.parse(text).map(CAPDateTime.format) == text)
    }
  }
}
