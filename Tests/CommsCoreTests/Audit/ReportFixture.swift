import Foundation
import Testing

@testable import CommsCore

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The store and helpers of `AfterActionReportTests`.
extension AfterActionReportTests {
  /// Recipients for the report: staff with one person unreachable on both
  /// contacts (a name with markup, quotes and a comma), relatives with one
  /// person reached and one still being retried.
  static let configuration = """
    data_dir = "var"
    [relays.local]
    url = "smtp://127.0.0.1:2525"
    from = "Krisestab <krisestab@kommune.example>"
    [endpoints.sms]
    url = "http://127.0.0.1:8099/sms"
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    [endpoints.pager]
    url = "http://127.0.0.1:8099/pager"
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    [audiences.staff]
    [audiences.relatives]
    [[recipients]]
    id = "s1"
    name = "Anne Hansen"
    audiences = ["staff"]
    contacts = ["anne@kommune.example"]
    [[recipients]]
    id = "s2"
    name = "Bo Nielsen"
    audiences = ["staff"]
    contacts = ["sms:+4511111111"]
    language = "en"
    [[recipients]]
    id = "s3"
    name = "Carl Berg"
    audiences = ["staff"]
    contacts = ["carl@kommune.example"]
    [[recipients]]
    id = "s4"
    name = "Dorte \\"<b>&\\" Berg, jr."
    audiences = ["staff"]
    contacts = ["sms:+4544444444", "dorte@kommune.example"]
    [[recipients]]
    id = "s5"
    name = "Gitte Holm"
    audiences = ["staff"]
    contacts = ["gitte@kommune.example"]
    [[recipients]]
    id = "r1"
    name = "Ejnar Lund"
    audiences = ["relatives"]
    contacts = ["sms:+4555555555"]
    [[recipients]]
    id = "r2"
    name = "Frida Lund"
    audiences = ["relatives"]
    contacts = ["pager:frida"]
    """

  static let dorte = "Dorte \"<b>&\" Berg, jr."

  struct Scenario {
    let fixture: StoreFixture
    let id: MessageID
    let accepted: Date
  }

  /// Accepts and plans a message to staff and relatives at the fixture's
  /// time, then records outcomes at known offsets from it (seconds):
  /// s1 +2, s3 +4, s2 +10, s5 +60 delivered; s4 dead on sms at +3 and on
  /// email at +5 (unreachable); r1 delivered at +30; r2 retrying.
  static func scenario(
    _ kind: StoreKind = .sqlite, subject: String = "Vand, strøm og \"varme\""
  ) async throws -> Scenario {
    let fixture = try StoreFixture(kind)
    let configuration = try ConfigurationLoader.parse(
      Self.configuration, file: fixture.directory.appendingPathComponent("report.toml").path)
    let id = try await send(fixture, configuration, subject: subject)
    let accepted = fixture.clock.now()
    let first = try await fixture.store.lease(
      owner: "n", now: accepted, until: accepted + 600, limit: 100)
    #expect(first.count == 7)
    func delivery(_ recipient: String, in leased: [Delivery]) throws -> Delivery {
      try #require(leased.first { $0.recipientID == recipient })
    }
    func outcome(
      _ delivery: Delivery, _ state: DeliveryState, after seconds: Double, status: Int,
      error: String? = nil
    ) -> AttemptRecord {
      AttemptRecord(
        deliveryID: delivery.id, messageID: id, newState: state,
        dueAt: state == .retrying ? accepted + 300 : nil, at: accepted + seconds,
        target: delivery.contact.channel == .email ? "local" : "endpoint", statusCode: status,
        error: error, duration: .milliseconds(40), attempt: 1)
    }
    let skipped = try await fixture.store.record(
      [
        outcome(try delivery("s1", in: first), .delivered, after: 2, status: 250),
        outcome(
          try delivery("s4", in: first), .dead, after: 3, status: 410, error: "HTTP 410 Gone"),
        outcome(try delivery("s3", in: first), .delivered, after: 4, status: 250),
        outcome(try delivery("s2", in: first), .delivered, after: 10, status: 204),
        outcome(try delivery("r1", in: first), .delivered, after: 30, status: 204),
        outcome(try delivery("s5", in: first), .delivered, after: 60, status: 250),
        outcome(
          try delivery("r2", in: first), .retrying, after: 1, status: 503,
          error: "HTTP 503 Service Unavailable"),
      ], owner: "n")
    #expect(skipped == 0)
    // s4's fallback to email, due when the sms died.
    let fallback = try await fixture.store.lease(
      owner: "n", now: accepted + 3, until: accepted + 600, limit: 100)
    #expect(fallback.map(\.recipientID) == ["s4"])
    _ = try await fixture.store.record(
      [
        outcome(
          try delivery("s4", in: fallback), .dead, after: 5, status: 550,
          error: "550 5.1.1 No such user")
      ], owner: "n")
    return Scenario(fixture: fixture, id: id, accepted: accepted)
  }

  static func send(_ fixture: StoreFixture, _ configuration: Configuration, subject: String)
    async throws -> MessageID
  {
    let request = SendRequest(
      audiences: ["staff", "relatives"], priority: .urgent,
      contents: [
        "da": MessageContent(subject: subject, body: "Tekst"),
        "en": MessageContent(subject: "Water", body: "Text"),
      ], sender: Sender(kind: .cli, name: "tester", origin: "localhost"))
    let intake = Intake(configuration: configuration, store: fixture.store, clock: fixture.clock)
    guard case .accepted(let id) = try await intake.accept(request) else {
      throw StoreError.corrupt("not accepted")
    }
    let message = try #require(try await fixture.store.message(id))
    var generator = SystemRandomNumberGenerator()
    let plan = Planner(dosing: Dosing()).plan(
      message, directory: configuration.directory, at: fixture.clock.now(), using: &generator)
    try await fixture.store.savePlan(plan, at: fixture.clock.now())
    return id
  }

  func channel(_ name: String, deliveries: Int, delivered: Int, dead: Int) -> ChannelFigures {
    var figures = ChannelFigures(channel: name)
    figures.deliveries = deliveries
    figures.attempts = deliveries
    figures.delivered = delivered
    figures.dead = dead
    return figures
  }

  func language(_ code: String, recipients: Int, reached: Int) -> LanguageFigures {
    var figures = LanguageFigures(language: code)
    figures.recipients = recipients
    figures.reached = reached
    return figures
  }

  /// RFC 4180 records, read by the recipient lists' own scanner: quoted
  /// fields may hold commas, quotes and line breaks.
  static func parseCSV(_ text: String) -> [[String]] {
    var rows: [[String]] = []
    Array(text.utf8).withUnsafeBufferPointer { bytes in
      var scanner = CSVScanner(bytes: bytes)
      var record = CSVRecord()
      while scanner.next(into: &record) { rows.append(record.cells) }
    }
    return rows
  }
}

/// Counts elements and gathers text while `XMLParser` reads a page.
final class ElementCounter: NSObject, XMLParserDelegate, @unchecked Sendable {
  // @unchecked: used by one parse on one thread.
  var names: [String: Int] = [:]
  var text = ""

  func parser(
    _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
    qualifiedName: String?, attributes: [String: String] = [:]
  ) {
    names[elementName, default: 0] += 1
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}
