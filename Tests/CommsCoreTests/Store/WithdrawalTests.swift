import Foundation
import Testing

@testable import CommsCore

/// Supersede, cancel and expiry at the store, with an injected clock.
@Suite struct WithdrawalTests {
  /// Accepts and plans `request` under `policy` for relatives; returns its id.
  func plan(
    _ fixture: StoreFixture, _ request: SendRequest, policy: DosingPolicy = .none
  ) async throws -> MessageID {
    guard case .accepted(let id) = try await fixture.intake().accept(request) else {
      throw StoreError.corrupt("not accepted")
    }
    let message = try #require(try await fixture.store.message(id))
    var generator = SystemRandomNumberGenerator()
    let plan = Planner(dosing: Dosing()).plan(
      message, directory: fixture.configuration.directory, policies: ["relatives": policy],
      at: fixture.clock.now(), using: &generator)
    try await fixture.store.savePlan(plan, at: fixture.clock.now())
    return id
  }

  func request(
    _ fixture: StoreFixture, _ subject: String, supersedes: MessageID? = nil,
    priority: Priority = .normal
  ) -> SendRequest {
    var request = fixture.request(
      audiences: ["relatives"], subject: subject, body: "Om \(subject).")
    request.priority = priority
    request.supersedes = supersedes
    return request
  }

  /// The council's digest leaves out what a newer message replaced.
  @Test(arguments: StoreKind.allCases) func digestsLeaveSupersededItemsOut(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    fixture.clock.set(DigestTests.morning)
    let policy = DosingPolicy(quietHours: nil, digestSlots: [16 * 60])
    let first = try await plan(fixture, request(fixture, "Besøg kl. 14"), policy: policy)
    let kept = try await plan(fixture, request(fixture, "Vandforsyning"), policy: policy)
    let newer = try await plan(
      fixture, request(fixture, "Besøg kl. 15", supersedes: first), policy: policy)
    #expect(try await fixture.store.status(of: first)?.counts == ["superseded": 2])
    let slot = DigestTests.morning.addingTimeInterval(7 * 3600)
    let builder = DigestBuilder(store: fixture.store, audiences: fixture.configuration.audiences)
    var generator = SeededGenerator(state: 3)
    #expect(try await builder.buildDue(at: slot, using: &generator) == 2)
    let leased = try await fixture.store.lease(owner: "n", now: slot, until: slot + 60, limit: 10)
    let digest = try #require(leased.first { $0.recipientID == "c" })
    let body = try #require(try await fixture.store.message(digest.messageID))
      .content(for: "da").content.body
    #expect(body.contains("Vandforsyning"))
    #expect(body.contains("Besøg kl. 15"))
    #expect(!body.contains("Besøg kl. 14"), "\(body)")
    #expect(try await fixture.store.status(of: kept)?.counts == ["digested": 2])
    #expect(try await fixture.store.status(of: newer)?.counts == ["digested": 2])
  }

  @Test(arguments: StoreKind.allCases) func aSupersedeNeedsTheLatestOfAChainThatExists(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let first = try await plan(fixture, request(fixture, "A"))
    _ = try await plan(fixture, request(fixture, "B", supersedes: first))
    await #expect(throws: StoreError.self) {
      try await fixture.intake().accept(request(fixture, "C", supersedes: first))
    }
    let unknown = MessageID(rawValue: "msg_01KTR59BC020QY3XQQ7T7GC39Y")
    do {
      _ = try await fixture.intake().accept(request(fixture, "D", supersedes: unknown))
      Issue.record("accepted a supersede of an unknown message")
    } catch let StoreError.refused(field, message) {
      #expect(field == "supersedes")
      #expect(message.contains("there is no message \(unknown)"))
    }
    #expect(throws: IntakeError.self) {
      try fixture.intake().validate(
        request(fixture, "E", supersedes: MessageID(rawValue: "msg_kort")))
    }
  }

  @Test(arguments: StoreKind.allCases) func aMessageCancelledBeforeItIsPlannedReachesNobody(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    guard case .accepted(let id) = try await fixture.intake().accept(request(fixture, "A")) else {
      Issue.record("not accepted")
      return
    }
    let outcome = try await fixture.store.cancel(
      Cancellation(
        messageID: id, reason: "Fejl", actor: Sender(kind: .cli, name: "t", origin: "h"),
        at: fixture.clock.now()))
    #expect(outcome == CancelOutcome(withdrawn: 0, inFlight: 0, retraction: nil, notified: 0))
    let message = try #require(try await fixture.store.message(id))
    var generator = SystemRandomNumberGenerator()
    try await fixture.store.savePlan(
      Planner(dosing: Dosing()).plan(
        message, directory: fixture.configuration.directory, at: fixture.clock.now(),
        using: &generator), at: fixture.clock.now())
    let status = try #require(try await fixture.store.status(of: id))
    #expect(status.deliveries.isEmpty)
    #expect(status.cancelReason == "Fejl")
  }

  /// In flight when cancelled: a failed attempt ends it as cancelled, not
  /// in a retry; a delivered one stays delivered and gets the retraction.
  @Test(arguments: StoreKind.allCases) func inFlightOutcomesDecide(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await plan(fixture, request(fixture, "A", priority: .urgent))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10)
    #expect(leased.count == 2)
    let original = try #require(try await fixture.store.message(id))
    var generator = SystemRandomNumberGenerator()
    let sender = Sender(kind: .cli, name: "t", origin: "h")
    let outcome = try await fixture.store.cancel(
      Cancellation(
        messageID: id, reason: "Fejl", actor: sender, at: now,
        retraction: Retraction.message(
          withdrawing: original, reason: "Fejl", sender: sender, at: now, using: &generator)))
    #expect(outcome.inFlight == 2)
    #expect(outcome.notified == 0)
    func record(_ delivery: Delivery, _ state: DeliveryState) -> AttemptRecord {
      AttemptRecord(
        deliveryID: delivery.id, messageID: id, newState: state,
        dueAt: state == .retrying ? now + 5 : nil, at: now + 1, target: "endpoint:sms",
        statusCode: state == .delivered ? 204 : 503, error: nil, duration: .milliseconds(5),
        attempt: 1)
    }
    try await fixture.store.record(
      [record(leased[0], .delivered), record(leased[1], .retrying)], owner: "n")
    let status = try #require(try await fixture.store.status(of: id))
    #expect(status.counts == ["delivered": 1, "cancelled": 1])
    let retraction = try #require(outcome.retraction)
    let notices = try #require(try await fixture.store.status(of: retraction))
    #expect(notices.deliveries.map(\.recipient) == [leased[0].recipientID])
  }

  @Test(arguments: StoreKind.allCases) func expiryWithdrawsWhatIsDueAfterIt(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    var expiring = request(fixture, "A", priority: .urgent)
    expiring.expiresAt = fixture.clock.now() + 60
    let id = try await plan(fixture, expiring)
    fixture.clock.advance(by: 61)
    let now = fixture.clock.now()
    #expect(try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10).isEmpty)
    #expect(try await fixture.store.status(of: id)?.counts == ["expired": 2])
  }
}
