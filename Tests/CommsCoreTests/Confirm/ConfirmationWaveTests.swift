import Foundation
import Testing

@testable import CommsCore

/// Escalation waves at the store, on SQLite and PostgreSQL alike: due at
/// acceptance + n × escalate-after, planned once, to the deputies (or the
/// next contact, or a next audience) of those who have not confirmed,
/// leaving out whoever confirmed; stopped by cancel and by enough answers.
@Suite struct ConfirmationWaveTests {
  /// Anne and Bo name Dorte their deputy, Cecilie names Erik.
  static let deputies = """
    [audiences.deputies]
    [[recipients]]
    id = "d"
    name = "Dorte"
    audiences = ["deputies"]
    contacts = ["dorte@kommune.example"]
    [[recipients]]
    id = "e"
    name = "Erik"
    audiences = ["deputies"]
    contacts = ["sms:+4533333333", "erik@kommune.example"]
    """

  static func fixture(_ kind: StoreKind) throws -> StoreFixture {
    let fixture = try StoreFixture(kind, more: deputies)
    return fixture
  }

  /// The fixture's directory with deputies named (the attribute column of a
  /// recipient list; the TOML fixture has no attributes).
  static func directory(_ fixture: StoreFixture) -> RecipientDirectory {
    let deputyOf = ["a": "d", "b": "d", "c": "e"]
    return RecipientDirectory(
      fixture.configuration.directory.recipients.map { recipient in
        var recipient = recipient
        if let deputy = deputyOf[recipient.id] {
          recipient.attributes[ConfirmationRequest.deputyAttribute] = deputy
        }
        return recipient
      })
  }

  static func waves(_ fixture: StoreFixture) -> ConfirmationWaves {
    ConfirmationWaves(
      store: fixture.store, dosing: Dosing(), policies: [:],
      logger: .init(label: "test"))
  }

  static func accept(
    _ fixture: StoreFixture, _ request: ConfirmationRequest,
    audiences: [String] = [
      "staff", "relatives",
    ]
  ) async throws -> MessageID {
    var send = fixture.request(audiences: audiences)
    send.confirmation = request
    // Intake checks @deputy against the configured directory, which has no
    // attributes here: accept with the target put in afterwards.
    let target = send.confirmation?.escalateTo
    if target == .deputy { send.confirmation?.escalateTo = nil }
    let id = try await fixture.acceptAndPlan(send)
    if target == .deputy {
      var stored = request
      stored.escalateTo = .deputy
      try await fixture.execute(
        "UPDATE messages SET confirmation = ? WHERE id = ?",
        [JSONCoding.string(stored), id.rawValue])
    }
    return id
  }

  static func firstDelivery(_ status: MessageStatus, _ person: String) throws -> DeliveryID {
    DeliveryID(
      rawValue: try #require(
        status.deliveries.first { $0.recipient == person && $0.wave == nil }?.id))
  }

  @Test(arguments: StoreKind.allCases)
  func wavesGoToTheDeputiesOfWhoeverHasNotConfirmedOnceEachAndStopAtTheLastCycle(
    _ kind: StoreKind
  ) async throws {
    let fixture = try Self.fixture(kind)
    defer { fixture.cleanUp() }
    let store = fixture.store
    let now = fixture.clock.now()
    let id = try await Self.accept(
      fixture,
      ConfirmationRequest(
        withinSeconds: 1800, escalateAfterSeconds: 600, escalateTo: .deputy, cycles: 2))
    var status = try #require(try await store.status(of: id))
    #expect(status.confirmation?.nextWaveAt == now + 600)
    #expect(
      try await store.confirm(
        Confirmation(
          deliveryID: try Self.firstDelivery(status, "a"), way: .link, at: now + 60,
          actor: "link")) == .confirmed(late: false))

    let waves = Self.waves(fixture)
    let directory = Self.directory(fixture)
    #expect(try await waves.planDue(at: now + 599, directory: directory) == 0)
    #expect(try await waves.planDue(at: now + 600, directory: directory) == 1)
    // Due no more: a second turn (another node) plans nothing.
    #expect(try await waves.planDue(at: now + 601, directory: directory) == 0)
    #expect(
      try await store.planWave(id, due: Timestamp.format(now + 600), at: now + 601) { _ in
        WavePlanner.Wave(deliveries: [], unsent: [])
      } == .taken)

    status = try #require(try await store.status(of: id))
    let wave2 = status.deliveries.filter { $0.wave == 2 }
    // Bo's deputy Dorte and Cecilie's deputy Erik; Anne confirmed.
    #expect(wave2.map(\.recipient).sorted() == ["d", "e"])
    #expect(wave2.allSatisfy { $0.state == "ready" })
    #expect(wave2.first { $0.recipient == "e" }?.contact == "sms:+4533333333")
    let summary = try #require(status.confirmation)
    #expect(summary.waves.map(\.number) == [2])
    #expect(summary.waves.first?.chased == 2 && summary.waves.first?.deliveries == 2)
    #expect(summary.waves.first?.target == "@deputy")
    #expect(summary.nextWaveAt == now + 1200)
    // The waves chase the people; they are not more people reached.
    #expect(status.recipients.total == 3)
    #expect(summary.notConfirmed.map(\.id) == ["b", "c"])

    // Erik confirms through his wave's delivery, Bo by phone.
    let erik = DeliveryID(rawValue: try #require(wave2.first { $0.recipient == "e" }?.id))
    #expect(
      try await store.confirm(
        Confirmation(deliveryID: erik, way: .link, at: now + 700, actor: "link"))
        == .confirmed(late: false))
    #expect(
      try await store.confirm(
        Confirmation(
          deliveryID: try Self.firstDelivery(status, "b"), way: .byOperator, at: now + 800,
          actor: "cli:vagt")) == .confirmed(late: false))
    status = try #require(try await store.status(of: id))
    #expect(status.confirmation?.waves.first?.confirmed == 1)

    // Wave 3 chases Cecilie alone; her deputy Erik confirmed: nothing to send.
    #expect(try await waves.planDue(at: now + 1200, directory: directory) == 1)
    status = try #require(try await store.status(of: id))
    #expect(status.deliveries.filter { $0.wave == 3 }.isEmpty)
    #expect(status.confirmation?.waves.map(\.chased) == [2, 1])
    #expect(status.confirmation?.nextWaveAt == nil)
    #expect(try await waves.planDue(at: now + 99_999, directory: directory) == 0)
    let events = try await store.auditEvents(kinds: ["confirmation.wave"])
    #expect(events.map(\.event.detail["wave"]) == ["2", "3"])
    #expect(events.first?.event.detail["deliveries"] == "2")
  }

  @Test(arguments: StoreKind.allCases)
  func withNoTargetAWaveTriesEachPersonsNextContact(_ kind: StoreKind) async throws {
    let fixture = try Self.fixture(kind)
    defer { fixture.cleanUp() }
    let now = fixture.clock.now()
    let id = try await Self.accept(
      fixture, ConfirmationRequest(withinSeconds: 1800, escalateAfterSeconds: 300, cycles: 2))
    let waves = Self.waves(fixture)
    let directory = Self.directory(fixture)
    #expect(try await waves.planDue(at: now + 300, directory: directory) == 1)
    var status = try #require(try await fixture.store.status(of: id))
    // Bo went by SMS first: now email. Anne and Cecilie have one contact.
    #expect(
      status.deliveries.filter { $0.wave == 2 }.map { "\($0.recipient) \($0.contact)" }.sorted()
        == ["a anne@kommune.example", "b bo@kommune.example", "c sms:+4522222222"])
    #expect(try await waves.planDue(at: now + 600, directory: directory) == 1)
    status = try #require(try await fixture.store.status(of: id))
    // And around again.
    #expect(
      status.deliveries.first { $0.wave == 3 && $0.recipient == "b" }?.contact == "sms:+4511111111")
    #expect(status.confirmation?.waves.first?.target == "next contact")
  }

  @Test(arguments: StoreKind.allCases)
  func cancelEnoughAnswersAndSupersedeStopTheWaves(_ kind: StoreKind) async throws {
    let fixture = try Self.fixture(kind)
    defer { fixture.cleanUp() }
    let store = fixture.store
    let now = fixture.clock.now()
    let directory = Self.directory(fixture)
    let waves = Self.waves(fixture)
    let request = ConfirmationRequest(
      withinSeconds: 1800, escalateAfterSeconds: 600, escalateTo: .audience("deputies"),
      cycles: 3)

    let cancelled = try await Self.accept(fixture, request)
    _ = try await store.cancel(
      Cancellation(
        messageID: cancelled, reason: "Fejl", actor: Sender(kind: .cli, name: "t", origin: "h"),
        at: now + 10, retraction: nil))
    #expect(try await store.status(of: cancelled)?.confirmation?.nextWaveAt == nil)

    var enough = request
    enough.responsesNeeded = 1
    let answered = try await Self.accept(fixture, enough)
    let status = try #require(try await store.status(of: answered))
    _ = try await store.confirm(
      Confirmation(
        deliveryID: try Self.firstDelivery(status, "c"), way: .sms, at: now + 20, actor: "sms"))

    let chased = try await Self.accept(fixture, request)
    #expect(try await waves.planDue(at: now + 600, directory: directory) == 1)
    let planned = try #require(try await store.status(of: chased))
    // The next audience: both deputies, each chasing all three.
    #expect(planned.deliveries.filter { $0.wave == 2 }.map(\.recipient).sorted() == ["d", "e"])

    let stops = try await store.auditEvents(kinds: ["confirmation.waves_stopped"])
    #expect(stops.map(\.event.detail["reason"]) == ["enough confirmed"])
    #expect(try await store.status(of: answered)?.confirmation?.nextWaveAt == nil)
    #expect(try await store.status(of: cancelled)?.deliveries.contains { $0.wave != nil } == false)
  }
}
