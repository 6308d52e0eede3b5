import Foundation
import Testing

@testable import CommsCore

/// Handset receipts at the store, on SQLite and PostgreSQL alike: the
/// transitions of `DeliveryTransition.receiptDelivered`,
/// `.receiptUndeliverable` and `.receiptTimeout`, with an injected clock.
@Suite struct ReceiptStoreTests {
  /// The relatives' message to Bo and Cecilie (both SMS first), leased and
  /// taken by the gateway: `sent`, receipts due within an hour.
  func sentToRelatives(_ fixture: StoreFixture) async throws -> (MessageID, [Delivery]) {
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["relatives"]))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10)
    #expect(leased.count == 2)
    let records = leased.map { delivery in
      AttemptRecord(
        deliveryID: delivery.id, messageID: id, newState: .sent, dueAt: now + 3600, at: now,
        target: "sms", statusCode: 200, error: nil, duration: .milliseconds(5), attempt: 1,
        providerRef: "gw-\(delivery.recipientID)")
    }
    _ = try await fixture.store.record(records, owner: "n")
    return (id, leased.sorted { $0.recipientID < $1.recipientID })
  }

  func receipt(
    _ delivery: Delivery?, _ result: Receipt.Result, at time: Date?, reference: String? = nil
  ) -> Receipt {
    Receipt(
      deliveryID: delivery?.id.rawValue, providerRef: reference, result: result,
      status: result == .delivered ? "DELIVERED" : "UNDELIVERABLE", providerTime: time)
  }

  @Test(arguments: StoreKind.allCases)
  func aReceiptDecidesASentDeliveryAndAnUndeliverableOneFallsBack(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let (id, deliveries) = try await sentToRelatives(fixture)
    let (bo, cecilie) = (deliveries[0], deliveries[1])
    let store = fixture.store
    let now = fixture.clock.now()
    #expect(try await store.status(of: id)?.counts == ["sent": 2])

    // Cecilie's handset got it; the provider says so twice.
    #expect(
      try await store.applyReceipt(
        receipt(cecilie, .delivered, at: now + 9), endpoint: "sms", at: now + 10)
        == .applied(.delivered, latency: .seconds(9)))
    #expect(
      try await store.applyReceipt(
        receipt(cecilie, .delivered, at: now + 9), endpoint: "sms", at: now + 11)
        == .repeated)
    // Bo's number is dead: found by the provider's id alone; his email follows.
    let failed = receipt(
      nil, .undeliverable(reason: "UNDELIVERABLE 0x1010"), at: now + 20, reference: "gw-b")
    #expect(
      try await store.applyReceipt(failed, endpoint: "sms", at: now + 21)
        == .applied(.undeliverable, latency: .seconds(20)))
    var status = try #require(try await store.status(of: id))
    #expect(status.counts == ["delivered": 1, "undeliverable": 1, "ready": 1])
    let fallback = try #require(status.deliveries.first { $0.state == "ready" })
    #expect(fallback.recipient == "b" && fallback.contact == "bo@kommune.example")
    let handset = try #require(status.deliveries.first { $0.recipient == "c" })
    #expect(handset.deliveredAt == now + 9)

    // Out of order: a DELIVERED the provider timed before the UNDELIVERABLE is stale;
    // one timed after it wins. An UNDELIVERABLE never overturns a DELIVERED.
    #expect(
      try await store.applyReceipt(
        receipt(bo, .delivered, at: now + 15), endpoint: "sms", at: now + 30) == .stale)
    #expect(
      try await store.applyReceipt(
        receipt(cecilie, .undeliverable(reason: "EXPIRED"), at: now + 40), endpoint: "sms",
        at: now + 41)
        == .stale)
    #expect(
      try await store.applyReceipt(
        receipt(bo, .delivered, at: now + 50), endpoint: "sms", at: now + 51)
        == .applied(.delivered, latency: .seconds(50)))
    status = try #require(try await store.status(of: id))
    #expect(status.counts == ["delivered": 2, "ready": 1])

    // Another endpoint's receipt, or an unknown reference, matches nothing and is audited.
    #expect(
      try await store.applyReceipt(
        receipt(bo, .delivered, at: now), endpoint: "other", at: now + 60) == .unmatched)
    #expect(
      try await store.applyReceipt(
        receipt(nil, .delivered, at: now, reference: "gw-nobody"), endpoint: "sms", at: now + 61)
        == .unmatched)
    #expect(
      try await store.applyReceipt(receipt(bo, .pending, at: now), endpoint: "sms", at: now + 62)
        == .pending)
    let kinds = try await store.auditEvents(messageID: id).map(\.event.kind)
    #expect(kinds.filter { $0 == "receipt.delivered" }.count == 2)
    #expect(kinds.filter { $0 == "receipt.undeliverable" }.count == 1)
    #expect(kinds.filter { $0 == "receipt.stale" }.count == 2)
    #expect(kinds.contains("delivery.fallback"))
    #expect(try await store.auditEvents(kinds: ["receipt.unmatched"]).count == 2)
  }

  @Test(arguments: StoreKind.allCases)
  func noReceiptInTimeIsUnconfirmedAndALateOneStillCounts(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let (id, deliveries) = try await sentToRelatives(fixture)
    let store = fixture.store
    let now = fixture.clock.now()
    #expect(try await store.expireReceipts(at: now + 3599) == 0)
    #expect(try await store.expireReceipts(at: now + 3600) == 2)
    #expect(try await store.expireReceipts(at: now + 3601) == 0)
    #expect(try await store.status(of: id)?.counts == ["unconfirmed": 2])
    #expect(try await store.auditEvents(kinds: ["delivery.unconfirmed"]).count == 2)
    #expect(
      try await store.applyReceipt(
        receipt(deliveries[0], .delivered, at: now + 4000), endpoint: "sms", at: now + 4001)
        == .applied(.delivered, latency: .seconds(4000)))
    #expect(try await store.status(of: id)?.counts == ["delivered": 1, "unconfirmed": 1])
  }

  /// The gateway's callback can outrun the recorder: not applied, asked for again.
  @Test(arguments: StoreKind.allCases)
  func aReceiptForAnAttemptNotYetRecordedIsAskedForAgain(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    _ = try await fixture.acceptAndPlan(fixture.request(audiences: ["relatives"]))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10)
    let first = try #require(leased.first)
    #expect(
      try await fixture.store.applyReceipt(
        receipt(first, .delivered, at: now), endpoint: "sms", at: now)
        == .notYet)
  }

  /// A message cancelled while the gateway takes it stays sent: it went out.
  @Test(arguments: StoreKind.allCases)
  func aDeliveryTheGatewayTookWhileItsMessageWasCancelledStaysSent(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["relatives"]))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10)
    let cancelled = try await fixture.store.cancel(
      Cancellation(
        messageID: id, reason: "Fejl", actor: Sender(kind: .cli, name: "t", origin: "h"),
        at: now + 1, retraction: nil))
    #expect(cancelled.inFlight == 2)
    let records = leased.map { delivery in
      AttemptRecord(
        deliveryID: delivery.id, messageID: id, newState: .sent, dueAt: now + 3600, at: now + 2,
        target: "sms", statusCode: 200, error: nil, duration: .milliseconds(5), attempt: 1)
    }
    _ = try await fixture.store.record(records, owner: "n")
    let counts = try await fixture.store.status(of: id)?.counts
    #expect(counts?["sent"] == 2, "\(String(describing: counts))")
  }
}
