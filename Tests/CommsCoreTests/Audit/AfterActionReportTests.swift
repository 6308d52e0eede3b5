import Foundation
import Testing

@testable import CommsCore

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// `commsd audit report`: the figures gathered from the store with outcomes
/// at chosen times, and the three renderings.
@Suite struct AfterActionReportTests {
  @Test(arguments: StoreKind.allCases) func theFiguresPerAudienceAreExact(_ kind: StoreKind)
    async throws
  {
    let scenario = try await Self.scenario(kind)
    defer { scenario.fixture.cleanUp() }
    let store = scenario.fixture.store
    let report = try #require(
      try await store.afterActionReport(message: scenario.id, at: scenario.accepted + 100))
    #expect(report.scope == .message(scenario.id.rawValue))
    let section = try #require(report.messages.first)
    #expect(section.subject == "Vand, strøm og \"varme\"")
    #expect(section.acceptedAt == scenario.accepted)
    #expect(section.audiences.map(\.audience) == ["staff", "relatives"])

    let staff = section.audiences[0]
    #expect(staff.recipients == 5)
    #expect(staff.reached == 4)
    #expect(staff.unreachable == 1)
    #expect(staff.pending == 0)
    #expect(staff.withdrawn == 0)
    #expect(staff.delays == [2, 4, 10, 60])
    // Nearest rank: the median of four is the 2nd value (not 7, the mean
    // of the middle two); the 95th percentile is the 4th.
    #expect(staff.median == 4)
    #expect(staff.p95 == 60)
    #expect(staff.reachedTimes.map { $0.timeIntervalSince(scenario.accepted) } == [2, 4, 10, 60])
    #expect(
      staff.channels == [
        channel("email", deliveries: 4, delivered: 3, dead: 1),
        channel("webhook:sms", deliveries: 2, delivered: 1, dead: 1),
      ])
    #expect(
      staff.languages == [
        language("da", recipients: 4, reached: 3), language("en", recipients: 1, reached: 1),
      ])
    #expect(
      staff.unreachablePeople == [
        UnreachablePerson(
          id: "s4", name: Self.dorte, contactsTried: 2,
          lastContact: "email dorte@kommune.example", lastStatus: 550,
          lastError: "550 5.1.1 No such user")
      ])

    let relatives = section.audiences[1]
    #expect(relatives.recipients == 2)
    #expect(relatives.reached == 1)
    #expect(relatives.unreachable == 0)
    #expect(relatives.pending == 1)
    #expect(relatives.median == 30)
    #expect(relatives.p95 == 30)
    #expect(
      relatives.channels == [
        channel("webhook:pager", deliveries: 1, delivered: 0, dead: 0),
        channel("webhook:sms", deliveries: 1, delivered: 1, dead: 0),
      ])

    // The same as `commsd status` counts people.
    let status = try #require(try await store.status(of: scenario.id))
    #expect(status.recipients.reached == staff.reached + relatives.reached)
    #expect(status.recipients.unreachable == ["s4"])
  }

  @Test(arguments: StoreKind.allCases)
  func aCancelledMessageCountsThePersonNotYetReachedAsWithdrawn(_ kind: StoreKind) async throws {
    let scenario = try await Self.scenario(kind)
    defer { scenario.fixture.cleanUp() }
    let store = scenario.fixture.store
    _ = try await store.cancel(
      Cancellation(
        messageID: scenario.id, reason: "Fejl i teksten",
        actor: Sender(kind: .cli, name: "t", origin: "h"), at: scenario.accepted + 90))
    let section = try #require(
      try await store.afterActionReport(message: scenario.id, at: scenario.accepted + 100)?
        .messages.first)
    #expect(section.cancelledAt == scenario.accepted + 90)
    #expect(section.audiences[1].withdrawn == 1)
    #expect(section.audiences[1].pending == 0)
    #expect(section.audiences[1].reached == 1)
    #expect(
      ReportTable.render(
        AfterActionReport(
          scope: .message(section.id), generatedAt: scenario.accepted, messages: [section])
      )
      .contains("ANNULLERET"))
  }

  @Test(arguments: StoreKind.allCases) func aPeriodHasASectionPerMessageAndTotalsPerAudience(
    _ kind: StoreKind
  ) async throws {
    let scenario = try await Self.scenario(kind)
    defer { scenario.fixture.cleanUp() }
    let fixture = scenario.fixture
    fixture.clock.advance(by: 120)
    let configuration = try ConfigurationLoader.parse(
      Self.configuration, file: fixture.directory.appendingPathComponent("report.toml").path)
    let second = try await Self.send(fixture, configuration, subject: "Opfølgning")
    let report = try await fixture.store.afterActionReport(
      since: scenario.accepted, until: nil, at: fixture.clock.now())
    #expect(report.messages.map(\.id) == [scenario.id.rawValue, second.rawValue])
    #expect(report.totals.map(\.audience) == ["staff", "relatives"])
    #expect(report.totals[0].recipients == 10)
    #expect(report.totals[0].reached == 4)
    #expect(report.totals[0].pending == 5)
    #expect(report.totals[0].unreachable == 1)
    #expect(report.totals[0].median == 4)
    #expect(report.totals[1].recipients == 4)
    // `until` is exclusive; a period before anything was sent is empty.
    let first = try await fixture.store.afterActionReport(
      since: scenario.accepted, until: scenario.accepted + 1, at: fixture.clock.now())
    #expect(first.messages.map(\.id) == [scenario.id.rawValue])
    let none = try await fixture.store.afterActionReport(
      since: scenario.accepted - 60, until: scenario.accepted, at: fixture.clock.now())
    #expect(none.messages.isEmpty)
    #expect(ReportCSV.render(none) == ReportCSV.header.joined(separator: ",") + "\n")
    let table = ReportTable.render(report)
    #expect(table.contains("I ALT PR. MÅLGRUPPE"))
    #expect(table.contains("Opfølgning"))
  }

  /// A digested delivery counts when its digest arrives, over the digest's
  /// channel and its fallback; the digests themselves are no section.
  @Test(arguments: StoreKind.allCases)
  func digestedItemsAreReachedWhenTheirDigestIs(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    fixture.clock.set(DigestTests.morning)
    let policy = DosingPolicy(quietHours: nil, digestSlots: [16 * 60])
    var ids: [MessageID] = []
    for subject in ["Vandforsyning", "Skoler"] {
      ids.append(try await DigestTests().plan(fixture, subject: subject, policy: policy))
      fixture.clock.advance(by: 3600)
    }
    let slot = DigestTests.morning.addingTimeInterval(7 * 3600)
    var generator = SeededGenerator(state: 5)
    let builder = DigestBuilder(store: fixture.store, audiences: fixture.configuration.audiences)
    #expect(try await builder.buildDue(at: slot, using: &generator) == 2)
    func outcome(_ delivery: Delivery, _ state: DeliveryState, at: Date) -> AttemptRecord {
      AttemptRecord(
        deliveryID: delivery.id, messageID: delivery.messageID, newState: state, dueAt: nil,
        at: at, target: "t", statusCode: state == .delivered ? 204 : 410,
        error: state == .delivered ? nil : "HTTP 410", duration: .milliseconds(5), attempt: 1)
    }
    // Bo's digest dies on sms and arrives by email; Cecilie's arrives by sms.
    let digests = try await fixture.store.lease(owner: "n", now: slot, until: slot + 60, limit: 10)
    let bo = try #require(digests.first { $0.recipientID == "b" })
    let cecilie = try #require(digests.first { $0.recipientID == "c" })
    _ = try await fixture.store.record(
      [outcome(bo, .dead, at: slot + 2), outcome(cecilie, .delivered, at: slot + 5)], owner: "n")
    let fallback = try await fixture.store.lease(
      owner: "n", now: slot + 2, until: slot + 60, limit: 10)
    #expect(fallback.map(\.recipientID) == ["b"])
    _ = try await fixture.store.record([outcome(fallback[0], .delivered, at: slot + 7)], owner: "n")

    let report = try await fixture.store.afterActionReport(
      since: DigestTests.morning, until: nil, at: slot + 60)
    #expect(report.messages.map(\.id) == ids.map(\.rawValue))
    let first = try #require(report.messages.first?.audiences.first)
    #expect(first.audience == "relatives")
    #expect(first.recipients == 2)
    #expect(first.reached == 2)
    let sevenHours: Double = 7 * 3600
    #expect(first.delays == [sevenHours + 5, sevenHours + 7])
    #expect(
      first.channels == [
        channel("email", deliveries: 1, delivered: 1, dead: 0),
        channel("webhook:sms", deliveries: 2, delivered: 1, dead: 1),
      ])
    let sixHours: Double = 6 * 3600
    #expect(report.messages[1].audiences.first?.delays == [sixHours + 5, sixHours + 7])
    #expect(report.totals.first?.reached == 4)
  }

  @Test func percentilesAreByNearestRank() {
    #expect(Percentile.nearestRank(50, of: []) == nil)
    #expect(Percentile.nearestRank(50, of: [7]) == 7)
    #expect(Percentile.nearestRank(95, of: [7]) == 7)
    #expect(Percentile.nearestRank(50, of: [1, 2, 3, 4]) == 2)
    #expect(Percentile.nearestRank(50, of: [1, 2, 3, 4, 5]) == 3)
    let twenty = (1...20).map(Double.init)
    #expect(Percentile.nearestRank(95, of: twenty) == 19)
    #expect(Percentile.nearestRank(100, of: twenty) == 20)
    #expect(Percentile.nearestRank(0, of: twenty) == 1)
  }

  @Test func theHTMLIsSelfContainedWellFormedAndEscaped() async throws {
    let scenario = try await Self.scenario(subject: "Besøgsforbud <i>nu</i> & 'her'")
    defer { scenario.fixture.cleanUp() }
    let report = try #require(
      try await scenario.fixture.store.afterActionReport(
        message: scenario.id, at: scenario.accepted + 100))
    let html = ReportHTML.render(report)
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(html.contains("<svg"))
    #expect(html.contains("<polyline"))
    #expect(html.contains("<style>"))
    for forbidden in ["<script", "http://", "https://", "src=", "href=", "@import", "url("] {
      #expect(!html.contains(forbidden), "\(forbidden)")
    }
    #expect(html.contains("Dorte &quot;&lt;b&gt;&amp;&quot; Berg, jr."))
    #expect(!html.contains("<b>"))
    #expect(html.contains("Besøgsforbud &lt;i&gt;nu&lt;/i&gt; &amp; &#39;her&#39;"))
    #expect(html.contains("550 5.1.1 No such user"))

    // Well-formed XML, as XHTML would be.
    let parser = XMLParser(data: Data(html.utf8))
    let elements = ElementCounter()
    parser.delegate = elements
    #expect(parser.parse(), "\(String(describing: parser.parserError))")
    #expect(elements.names["svg"] == 2)
    #expect(elements.names["table"] ?? 0 >= 4)
    #expect(elements.text.contains(Self.dorte))
  }

  @Test func csvQuotesFieldsAndHasARowPerAudience() async throws {
    let scenario = try await Self.scenario()
    defer { scenario.fixture.cleanUp() }
    let report = try #require(
      try await scenario.fixture.store.afterActionReport(
        message: scenario.id, at: scenario.accepted + 100))
    let csv = ReportCSV.render(report)
    #expect(csv.contains(",\"Vand, strøm og \"\"varme\"\"\","))
    #expect(csv.contains("\"s4 Dorte \"\"<b>&\"\" Berg, jr. (550 5.1.1 No such user)\""))
    let rows = Self.parseCSV(csv)
    #expect(rows.count == 3)
    #expect(rows.allSatisfy { $0.count == ReportCSV.header.count })
    let header = rows[0]
    func value(_ row: [String], _ column: String) -> String? {
      header.firstIndex(of: column).map { row[$0] }
    }
    #expect(value(rows[1], "subject") == "Vand, strøm og \"varme\"")
    #expect(value(rows[1], "audience") == "staff")
    #expect(value(rows[1], "recipients") == "5")
    #expect(value(rows[1], "reached") == "4")
    #expect(value(rows[1], "unreachable") == "1")
    #expect(value(rows[1], "median_seconds") == "4.000")
    #expect(value(rows[1], "p95_seconds") == "60.000")
    #expect(value(rows[1], "channels") == "email 3/4; webhook:sms 1/2")
    #expect(value(rows[1], "languages") == "da 3/4; en 1/1")
    #expect(
      value(rows[1], "unreachable_people") == "s4 \(Self.dorte) (550 5.1.1 No such user)")
    #expect(value(rows[2], "audience") == "relatives")
    #expect(value(rows[2], "pending") == "1")
    #expect(ReportCSV.field("=SUM(A1)") == "'=SUM(A1)")
    #expect(ReportCSV.field("-12") == "-12")
    // TAB and CR start formulas too (OWASP); "\r\n" is one Character in Swift.
    #expect(ReportCSV.field("\t=1+1") == "'\t=1+1")
    #expect(ReportCSV.field("\r\n=1+1") == "\"'\r\n=1+1\"")
    #expect(ReportCSV.field("\r=1") == "\"'\r=1\"")
  }

  @Test func theTableIsAligned() async throws {
    let scenario = try await Self.scenario()
    defer { scenario.fixture.cleanUp() }
    let report = try #require(
      try await scenario.fixture.store.afterActionReport(
        message: scenario.id, at: scenario.accepted + 100))
    let lines = ReportTable.render(report).split(separator: "\n", omittingEmptySubsequences: false)
    let header = try #require(lines.firstIndex { $0.hasPrefix("MÅLGRUPPE  MODTAGERE") })
    let reach = lines[header...header + 2]
    #expect(Set(reach.map(\.count)).count == 1, "\(reach)")
    #expect(reach.dropFirst().first?.split(separator: " ").prefix(4) == ["staff", "5", "4", "80"])
    #expect(reach.last?.hasPrefix("relatives") == true)
    let text = lines.joined(separator: "\n")
    #expect(text.contains("4,0 s"))
    #expect(text.contains("1 min 00 s"))
    #expect(text.contains("UOPNÅELIGE"))
    let dorte = try #require(lines.first { $0.contains(Self.dorte) })
    #expect(dorte.contains("s4"))
    #expect(dorte.contains("550 5.1.1 No such user"))
  }
}
