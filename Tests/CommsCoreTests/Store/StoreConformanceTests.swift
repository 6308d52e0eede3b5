import Foundation
import Testing

@testable import CommsCore

/// The store's behaviour, the same on SQLite and PostgreSQL: each test runs
/// against both (PostgreSQL in a throw-away cluster, see `TestPostgres`).
@Suite struct StoreConformanceTests {
  @Test(arguments: StoreKind.allCases) func acceptedMessageIsReadBackIntact(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    guard
      case .accepted(let id) = try await fixture.intake().accept(
        fixture.request(subject: "Æbler, øl og å"))
    else {
      Issue.record("not accepted")
      return
    }
    let message = try #require(try await fixture.store.message(id))
    #expect(message.contents["da"]?.subject == "Æbler, øl og å")
    #expect(message.sender.description == "cli:tester@localhost")
    #expect(message.priority == .urgent)
    #expect(
      try await fixture.store.unplannedMessages(limit: 10, now: .distantFuture).map(\.id) == [id])
    let events = try await fixture.store.auditEvents(messageID: id)
    #expect(events.map(\.event.kind) == ["message.accepted"])
    #expect(events.first?.event.actor == "cli:tester@localhost")
  }

  @Test(arguments: StoreKind.allCases) func sameIdempotencyKeyAndContentGivesTheSameMessage(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let first = try await fixture.intake().accept(fixture.request(key: "cap-2026-11-25-1"))
    let second = try await fixture.intake().accept(fixture.request(key: "cap-2026-11-25-1"))
    guard case .accepted(let id) = first else {
      Issue.record("first not accepted")
      return
    }
    #expect(second == .duplicate(id))
    #expect(try await fixture.store.unplannedMessages(limit: 10, now: .distantFuture).count == 1)
  }

  @Test(arguments: StoreKind.allCases) func sameIdempotencyKeyWithOtherContentIsAConflict(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    _ = try await fixture.intake().accept(fixture.request(key: "k1"))
    await #expect(throws: StoreError.self) {
      try await fixture.intake().accept(fixture.request(body: "Other", key: "k1"))
    }
  }

  @Test(arguments: StoreKind.allCases) func leaseTakesDueDeliveriesOnceAndFlashFirst(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    var bulk = fixture.request(audiences: ["relatives"])
    bulk.priority = .bulk
    _ = try await fixture.acceptAndPlan(bulk)
    var flash = fixture.request(audiences: ["staff"])
    flash.priority = .flash
    let flashID = try await fixture.acceptAndPlan(flash)
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n1", now: now, until: now + 60, limit: 2)
    #expect(leased.count == 2)
    #expect(leased.allSatisfy { $0.messageID == flashID && $0.priority == .flash })
    #expect(leased.allSatisfy { $0.state == .sending })
    let rest = try await fixture.store.lease(owner: "n2", now: now, until: now + 60, limit: 10)
    #expect(rest.count == 2)
    #expect(Set(rest.map(\.id)).isDisjoint(with: leased.map(\.id)))
    #expect(
      try await fixture.store.lease(owner: "n3", now: now, until: now + 60, limit: 10).isEmpty)
  }

  @Test(arguments: StoreKind.allCases) func outcomesMoveStatesAndWriteAuditEvents(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["staff"]))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n1", now: now, until: now + 60, limit: 10)
    #expect(leased.count == 2)
    let records = [
      AttemptRecord(
        deliveryID: leased[0].id, messageID: id, newState: .delivered, dueAt: nil, at: now,
        target: "relay:local",
        statusCode: 250, error: nil, duration: .milliseconds(12), attempt: 1),
      AttemptRecord(
        deliveryID: leased[1].id, messageID: id, newState: .retrying, dueAt: now + 5, at: now,
        target: "endpoint:sms", statusCode: 503, error: "HTTP 503", duration: .milliseconds(3),
        attempt: 1),
    ]
    #expect(try await fixture.store.record(records, owner: "n1") == 0)
    let status = try #require(try await fixture.store.status(of: id))
    #expect(status.counts == ["delivered": 1, "retrying": 1])
    #expect(try await fixture.store.nextDueDate() == now + 5)
    // Not due yet: nothing to lease; due: the retry is leased again, same id.
    #expect(
      try await fixture.store.lease(owner: "n1", now: now + 1, until: now + 60, limit: 10).isEmpty)
    let again = try await fixture.store.lease(owner: "n1", now: now + 5, until: now + 65, limit: 10)
    #expect(again.map(\.id) == [leased[1].id])
    #expect(again.first?.attempts == 1)
    let kinds = try await fixture.store.auditEvents(messageID: id).map(\.event.kind)
    #expect(
      kinds == ["message.accepted", "message.planned", "delivery.delivered", "delivery.retrying"])
  }

  @Test(arguments: StoreKind.allCases) func outcomeFromAnOwnerThatLostTheLeaseIsSkipped(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["staff"]))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n1", now: now, until: now + 60, limit: 1)
    #expect(try await fixture.store.reclaimLeases(now: now + 61, all: false) == 1)
    let record = AttemptRecord(
      deliveryID: leased[0].id, messageID: id, newState: .delivered, dueAt: nil, at: now,
      target: "relay:local",
      statusCode: 250, error: nil, duration: .zero, attempt: 1)
    #expect(try await fixture.store.record([record], owner: "n1") == 1)
    #expect(try await fixture.store.status(of: id)?.counts == ["ready": 2])
  }

  @Test(arguments: StoreKind.allCases) func releasedHoldsAreAuditedWithTheirReason(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    _ = try await fixture.acceptAndPlan(fixture.request())
    let now = fixture.clock.now()
    try await fixture.execute(
      "UPDATE deliveries SET state = 'held', hold_reason = 'quiet hours', due_at = ?",
      [Timestamp.format(now + 60)])
    #expect(try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10).isEmpty)
    let leased = try await fixture.store.lease(
      owner: "n", now: now + 61, until: now + 120, limit: 10)
    #expect(leased.count == 2)
    let released = try await fixture.store.auditEvents(kinds: ["delivery.released"])
    #expect(released.map { $0.event.detail["held.quiet hours"] } == ["2"])
    #expect(released.first?.event.detail["count"] == "2")
  }

  @Test(arguments: StoreKind.allCases)
  func everydayIntakesWrittenTogetherKeepTheirOwnOutcomesAndTheChain(_ kind: StoreKind) async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let intake = fixture.intake()
    // 60 at once; every tenth reuses a key with other content (a conflict).
    let outcomes = await withTaskGroup(of: (Int, Result<AcceptOutcome, any Error>).self) { group in
      for index in 0..<60 {
        group.addTask {
          var request = fixture.request(
            body: "tekst \(index)", key: "k\(index % 10 == 9 ? 0 : index)")
          request.priority = .normal
          do { return (index, .success(try await intake.accept(request))) } catch {
            return (index, .failure(error))
          }
        }
      }
      var all: [Int: Result<AcceptOutcome, any Error>] = [:]
      for await (index, outcome) in group { all[index] = outcome }
      return all
    }
    let conflicts = outcomes.filter {
      if case .failure(let error) = $0.value, case StoreError.idempotencyConflict = error {
        return true
      }
      return false
    }
    #expect(conflicts.count == 6)
    #expect(
      outcomes.values.filter { if case .success(.accepted) = $0 { true } else { false } }.count
        == 54)
    guard case .intact(let events, _, _) = try await fixture.store.verifyAudit() else {
      Issue.record("the chain is broken")
      return
    }
    #expect(events == 54)
    // Bulletin numbers stay gapless: 1 to 54 for staff.
    let numbers = try await fixture.integers(
      "SELECT number FROM message_bulletins ORDER BY number")
    #expect(numbers == Array(1...54))
  }

  @Test(arguments: StoreKind.allCases) func crashedLeasesReturnToReadyAndKeepTheirIds(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["staff", "relatives"]))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(
      owner: "dead-node", now: now, until: now + 300, limit: 10)
    #expect(leased.count == 3)
    #expect(try await fixture.store.reclaimLeases(now: now + 1, all: false) == 0)
    // A daemon restarting alone on SQLite takes every lease back; nodes of
    // a shared store wait for them to run out.
    if fixture.store.isShared {
      #expect(try await fixture.store.reclaimLeases(now: now + 1, all: true) == 0)
      #expect(try await fixture.store.reclaimLeases(now: now + 301, all: false) == 3)
    } else {
      #expect(try await fixture.store.reclaimLeases(now: now + 1, all: true) == 3)
    }
    let again = try await fixture.store.lease(
      owner: "new-node", now: now + 1, until: now + 300, limit: 10)
    #expect(Set(again.map(\.id)) == Set(leased.map(\.id)))
    let kinds = try await fixture.store.auditEvents(messageID: id).map(\.event.kind)
    #expect(kinds.filter { $0 == "delivery.lease_returned" }.count == 3)
  }

  /// A dispatcher holding deliveries behind a slow endpoint keeps them
  /// its own by renewing their leases; one whose lease ran out and went to
  /// another node is not renewed, so the first does not send it too.
  @Test(arguments: StoreKind.allCases)
  func renewedLeasesDoNotRunOutAndALostOneIsNotRenewed(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["relatives"]))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n1", now: now, until: now + 20, limit: 10)
    #expect(leased.count == 2)
    let (kept, lost) = (leased[0].id, leased[1].id)
    // Both renewed at half the lease: neither runs out at the first lease's end.
    #expect(
      try await fixture.store.renewLeases(
        [kept, lost], owner: "n1", until: now + 30, at: now + 10) == [kept, lost])
    #expect(try await fixture.store.reclaimLeases(now: now + 25, all: false) == 0)
    #expect(
      try await fixture.store.lease(owner: "n2", now: now + 25, until: now + 45, limit: 10)
        .isEmpty)
    // Only one renewed again; the other runs out and another node takes it.
    #expect(
      try await fixture.store.renewLeases([kept], owner: "n1", until: now + 60, at: now + 20)
        == [kept])
    #expect(try await fixture.store.reclaimLeases(now: now + 31, all: false) == 1)
    let taken = try await fixture.store.lease(
      owner: "n2", now: now + 31, until: now + 51, limit: 10)
    #expect(taken.map(\.id) == [lost])
    #expect(
      try await fixture.store.renewLeases(
        [kept, lost], owner: "n1", until: now + 70, at: now + 40) == [kept])
    // Another owner cannot renew what it does not hold, nor anything for nobody.
    #expect(
      try await fixture.store.renewLeases([kept], owner: "n2", until: now + 90, at: now + 40)
        .isEmpty)
    #expect(
      try await fixture.store.renewLeases([], owner: "n1", until: now + 90, at: now + 40).isEmpty)
    let renewals = try await fixture.store.auditEvents(kinds: ["delivery.lease_renewed"])
    #expect(renewals.map { $0.event.detail["count"] } == ["2", "1", "1"])
    #expect(renewals.allSatisfy { $0.event.actor == "n1" })
    #expect(try await fixture.store.status(of: id)?.deliveries.count == 2)
  }

  @Test(arguments: StoreKind.allCases) func storeSurvivesReopening(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["staff"]))
    let reopened = try fixture.reopened()
    #expect(try await reopened.status(of: id)?.deliveries.count == 2)
  }

  @Test(arguments: StoreKind.allCases)
  func anErrorTextIsKeptAsTheRelaySaidIt(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["staff"]))
    let now = fixture.clock.now()
    let leased = try await fixture.store.lease(owner: "n1", now: now, until: now + 60, limit: 10)
    let text = "550 \"no\" such {user}, C:\\mail\nsecond line NULL æøå"
    let records = leased.map {
      AttemptRecord(
        deliveryID: $0.id, messageID: id, newState: .retrying, dueAt: now + 5, at: now,
        target: "relay:local", statusCode: 451, error: text, duration: .zero, attempt: 1)
    }
    #expect(try await fixture.store.record(records, owner: "n1") == 0)
    let status = try #require(try await fixture.store.status(of: id))
    #expect(status.deliveries.map(\.lastError) == [text, text])
    #expect(status.deliveries.allSatisfy { $0.lastStatus == 451 })
  }
}
