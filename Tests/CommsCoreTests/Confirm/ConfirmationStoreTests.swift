import Foundation
import Testing

@testable import CommsCore

/// Confirmations at the store, on SQLite and PostgreSQL alike: one per
/// person and message, late after the deadline, and the summary that
/// answers "who has not confirmed?".
@Suite struct ConfirmationStoreTests {
  @Test(arguments: StoreKind.allCases)
  func eachPersonConfirmsOnceLateAfterTheDeadlineAndTheRestAreNamed(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    var request = fixture.request(audiences: ["staff", "relatives"])
    request.confirmation = ConfirmationRequest(withinSeconds: 1800)
    let id = try await fixture.acceptAndPlan(request)
    let store = fixture.store
    let now = fixture.clock.now()
    var status = try #require(try await store.status(of: id))
    let byPerson = Dictionary(grouping: status.deliveries, by: \.recipient)
    let anne = DeliveryID(rawValue: try #require(byPerson["a"]?.first?.id))
    let bo = DeliveryID(rawValue: try #require(byPerson["b"]?.first?.id))
    #expect(status.confirmation?.confirmed == 0)
    #expect(status.confirmation?.notConfirmed.map(\.name) == ["Anne", "Bo", "Cecilie"])
    #expect(status.confirmation?.deadline == now + 1800)

    // Anne by the link after 10 minutes; again (a second click): repeated.
    #expect(
      try await store.confirm(
        Confirmation(deliveryID: anne, way: .link, at: now + 600, actor: "link"))
        == .confirmed(late: false))
    #expect(
      try await store.confirm(
        Confirmation(deliveryID: anne, way: .link, at: now + 700, actor: "link"))
        == .repeated(at: now + 600))
    // Bo by phone, after the deadline: late.
    #expect(
      try await store.confirm(
        Confirmation(
          deliveryID: bo, way: .byOperator, at: now + 2000, actor: "cli:vagt@host",
          note: "phoned 10:42"))
        == .confirmed(late: true))
    #expect(
      try await store.confirm(
        Confirmation(
          deliveryID: DeliveryID(rawValue: "dlv_01KBX6QW1M8V7Y2D3E4F5G6H7J"), way: .link,
          at: now, actor: "link")) == .unknownDelivery)

    status = try #require(try await store.status(of: id))
    let summary = try #require(status.confirmation)
    #expect(summary.confirmed == 1 && summary.late == 1)
    #expect(summary.notConfirmed == [ConfirmationSummary.Person(id: "c", name: "Cecilie")])
    #expect(summary.byWay == ["link": 1, "operator": 1])
    #expect(summary.medianSeconds == 600 && summary.p95Seconds == 2000)
    let events = try await store.auditEvents(kinds: ["confirmation.received"])
    #expect(events.count == 2)
    #expect(events.map(\.event.detail["late"]) == ["false", "true"])
    #expect(events.last?.event.personal["note"] == "phoned 10:42")
    #expect(try await store.firstDelivery(of: id, to: "b") == bo)
    #expect(try await store.firstDelivery(of: id, to: "nobody") == nil)
  }

  @Test(arguments: StoreKind.allCases)
  func aMessageThatAsksNothingOrWasCancelledTakesNoConfirmation(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let plain = try await fixture.acceptAndPlan(fixture.request())
    let status = try #require(try await fixture.store.status(of: plain))
    #expect(status.confirmation == nil)
    let delivery = DeliveryID(rawValue: try #require(status.deliveries.first?.id))
    let now = fixture.clock.now()
    #expect(
      try await fixture.store.confirm(
        Confirmation(deliveryID: delivery, way: .link, at: now, actor: "link")) == .notAsked)

    var request = fixture.request(subject: "Vand")
    request.confirmation = ConfirmationRequest()
    let asked = try await fixture.acceptAndPlan(request)
    let askedDelivery = DeliveryID(
      rawValue: try #require(try await fixture.store.status(of: asked)?.deliveries.first?.id))
    _ = try await Cancellation.carryOut(
      asked, reason: "fejl", notify: false, actor: Sender(kind: .cli, name: "t", origin: "h"),
      store: fixture.store, at: now)
    #expect(
      try await fixture.store.confirm(
        Confirmation(deliveryID: askedDelivery, way: .link, at: now, actor: "link")) == .cancelled)
    #expect(try await fixture.store.auditEvents(kinds: ["confirmation.received"]).isEmpty)
  }
}
