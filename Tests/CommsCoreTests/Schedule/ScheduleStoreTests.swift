import Foundation
import Testing

@testable import CommsCore

/// Scheduled release on both stores: a message held until its time is not
/// planned before it, takes its bulletin number at release (after a message
/// sent while it waited), can be cancelled or superseded before release
/// and then never goes, and counts its confirmation deadline from release.
@Suite struct ScheduleStoreTests {
  struct Setup {
    let fixture: StoreFixture
    init(_ kind: StoreKind) throws { fixture = try StoreFixture(kind) }
    var store: any Store { fixture.store }
    var now: Date { fixture.clock.now() }

    func send(
      in seconds: TimeInterval?, audiences: [String] = ["staff"], supersedes: MessageID? = nil,
      confirm: Bool = false
    ) async throws -> MessageID {
      var request = fixture.request(audiences: audiences)
      request.notBefore = seconds.map { now + $0 }
      request.supersedes = supersedes
      if confirm { request.confirmation = ConfirmationRequest() }
      guard case .accepted(let id) = try await fixture.intake().accept(request) else {
        throw StoreError.corrupt("not accepted")
      }
      return id
    }

    /// Plans what is due at `now + offset`, as the planning loop does
    /// (dosed by `policies`, none unless given).
    @discardableResult
    func plan(at offset: TimeInterval = 0, policies: [String: DosingPolicy] = [:]) async throws
      -> [MessageID]
    {
      let at = now + offset
      let due = try await store.unplannedMessages(limit: 16, now: at)
      for message in due {
        try await store.savePlan(
          Planner(dosing: Dosing()).streamed(
            message, directory: fixture.configuration.directory, policies: policies, at: at),
          at: at)
      }
      return due.map(\.id)
    }

    func deliveries(_ id: MessageID) async throws -> Int {
      try await fixture.integers("SELECT COUNT(*) FROM deliveries WHERE message_id = '\(id)'")[0]
    }

    func bulletin(_ id: MessageID, _ audience: String = "staff") async throws -> [Int] {
      try await fixture.integers(
        "SELECT number FROM message_bulletins WHERE message_id = '\(id)' AND audience = '\(audience)'"
      )
    }
  }

  @Test(arguments: StoreKind.allCases)
  func aScheduledMessageWaitsForItsTimeAndTakesItsNumberAtRelease(kind: StoreKind) async throws {
    let setup = try Setup(kind)
    defer { setup.fixture.cleanUp() }
    let scheduled = try await setup.send(in: 1800)
    #expect(try await setup.bulletin(scheduled).isEmpty, "no number while it waits")
    #expect(try await setup.plan().isEmpty, "not planned before its time")
    #expect(try await setup.deliveries(scheduled) == 0)
    // Sent while the first waits: it takes number 1.
    let meanwhile = try await setup.send(in: nil)
    #expect(try await setup.plan() == [meanwhile])
    #expect(try await setup.bulletin(meanwhile) == [1])
    #expect(try await setup.plan(at: 1799).isEmpty, "a second early is still early")
    #expect(try await setup.plan(at: 1800) == [scheduled])
    #expect(try await setup.bulletin(scheduled) == [2], "numbered in the order readers get them")
    #expect(try await setup.deliveries(scheduled) == 2)
    let status = try #require(try await setup.store.status(of: scheduled))
    #expect(status.notBefore == setup.now + 1800)
    #expect(status.plannedAt == setup.now + 1800)
  }

  /// Dosed at release, not at acceptance: accepted at 16:13 in
  /// Copenhagen, released at 22:13, inside the standard quiet hours
  /// (22:00-07:00), so its copies are held; the same message sent at
  /// 16:13 goes at once.
  @Test(arguments: StoreKind.allCases)
  func dosingAppliesAtTheRelease(kind: StoreKind) async throws {
    let setup = try Setup(kind)
    defer { setup.fixture.cleanUp() }
    let policies = ["staff": DosingPolicy.standard]
    let now = try await setup.send(in: nil)
    #expect(try await setup.plan(policies: policies) == [now])
    let late = try await setup.send(in: 6 * 3600)
    #expect(try await setup.plan(at: 6 * 3600, policies: policies) == [late])
    let held = try await setup.fixture.strings(
      "SELECT DISTINCT state || ':' || COALESCE(hold_reason, '') FROM deliveries WHERE message_id = '\(late)'"
    )
    #expect(held == ["held:quiet hours"])
    let sent = try await setup.fixture.strings(
      "SELECT DISTINCT state FROM deliveries WHERE message_id = '\(now)'")
    #expect(sent == ["ready"] || sent == ["queued"], "\(sent)")
  }

  @Test(arguments: StoreKind.allCases)
  func cancelledBeforeReleaseItNeverGoes(kind: StoreKind) async throws {
    let setup = try Setup(kind)
    defer { setup.fixture.cleanUp() }
    let id = try await setup.send(in: 1800)
    _ = try await setup.store.cancel(
      Cancellation(
        messageID: id, reason: "forkert tidspunkt",
        actor: Sender(kind: .cli, name: "t", origin: "h"),
        at: setup.now + 60))
    // Closed at once, with nobody planned, not left waiting for 14:00.
    #expect(try await setup.plan(at: 61) == [id])
    #expect(try await setup.plan(at: 3600).isEmpty)
    #expect(try await setup.deliveries(id) == 0)
    #expect(try await setup.bulletin(id).isEmpty, "a cancelled one takes no number")
  }

  @Test(arguments: StoreKind.allCases)
  func supersededBeforeReleaseItNeverGoes(kind: StoreKind) async throws {
    let setup = try Setup(kind)
    defer { setup.fixture.cleanUp() }
    let old = try await setup.send(in: 1800)
    let new = try await setup.send(in: 900, supersedes: old)
    #expect(try await setup.plan(at: 900) == [new])
    #expect(try await setup.plan(at: 3600).isEmpty, "the old one is not released at its time")
    #expect(try await setup.deliveries(old) == 0)
    #expect(try await setup.deliveries(new) == 2)
    #expect(try await setup.bulletin(new) == [1])
    let events = try await setup.fixture.integers(
      "SELECT COUNT(*) FROM audit_events WHERE kind = 'message.planned' AND message_id = '\(old)'")
    #expect(events == [1], "its end is on record")
  }

  @Test(arguments: StoreKind.allCases)
  func aConfirmationDeadlineCountsFromRelease(kind: StoreKind) async throws {
    let setup = try Setup(kind)
    defer { setup.fixture.cleanUp() }
    let id = try await setup.send(in: 3600, confirm: true)
    try await setup.plan(at: 3600)
    let status = try #require(try await setup.store.status(of: id))
    let deadline = try #require(status.confirmation?.deadline)
    #expect(deadline == setup.now + 3600 + Double(ConfirmationRequest().withinSeconds))
  }

  @Test func intakeRefusesAScheduleBeyondAYearOrAfterTheExpiry() async throws {
    let fixture = try StoreFixture()
    defer { fixture.cleanUp() }
    var request = fixture.request()
    request.notBefore = fixture.clock.now() + 400 * 86_400
    #expect(throws: IntakeError.self) { try fixture.intake().makeMessage(request) }
    request.notBefore = fixture.clock.now() + 3600
    request.expiresAt = fixture.clock.now() + 1800
    do {
      _ = try fixture.intake().makeMessage(request)
      Issue.record("an expiry before the release was accepted")
    } catch {
      #expect(error.field == "expires")
    }
    // A release time that has come is no schedule.
    request.expiresAt = nil
    request.notBefore = fixture.clock.now() - 5
    #expect(try fixture.intake().makeMessage(request).0.notBefore == nil)
  }
}
