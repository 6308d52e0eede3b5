import Foundation
import Logging
import Testing

@testable import CommsCore

/// Four eyes on both stores: a message to an audience that asks for
/// approval waits (no bulletin number, nothing planned), its approvers
/// are asked and reminded, and it goes when approved, never when rejected,
/// cancelled or superseded; flash goes at once, flagged; a timeout holds
/// or sends as configured.
@Suite struct ApprovalStoreTests {
  static func rule(_ extra: String = "") -> String {
    """
    [confirm]
    public_url = "https://commsd.kommune.example"
    [audiences.police.approval]
    approvers = ["p1", "a"]
    remind_every = "5m"
    \(extra)
    [[recipients]]
    id = "p1"
    name = "Politiets vagtchef"
    audiences = ["police"]
    contacts = ["vagtchef@politi.example", "sms:+4533333333"]
    [recipients.attributes]
    operator = "vagtchef"
    """
  }

  struct Setup {
    let fixture: StoreFixture
    init(_ kind: StoreKind, _ extra: String = "") throws {
      fixture = try StoreFixture(kind, more: ApprovalStoreTests.rule(extra))
    }
    var store: any Store { fixture.store }

    func send(_ audiences: [String], priority: Priority = .urgent, supersedes: MessageID? = nil)
      async throws -> MessageID
    {
      var request = fixture.request(audiences: audiences)
      request.priority = priority
      request.supersedes = supersedes
      guard case .accepted(let id) = try await fixture.intake().accept(request) else {
        throw StoreError.corrupt("not accepted")
      }
      return id
    }

    /// One planning turn for approvals, then plans what is plannable, as
    /// the planning loop does.
    @discardableResult
    func turn(at offset: TimeInterval = 0) async throws -> Int {
      let now = fixture.clock.now() + offset
      let moved = try await ApprovalTurn(store: store, logger: Logger(label: "test")).run(
        at: now, directory: fixture.configuration.directory, displayNames: [:],
        defaultLanguage: "da")
      let planner = Planner(dosing: Dosing())
      for message in try await store.unplannedMessages(limit: 16, now: .distantFuture) {
        try await store.savePlan(
          planner.streamed(message, directory: fixture.configuration.directory, at: now), at: now)
      }
      for message in try await store.approvedUnplannedAudiences(limit: 16) {
        try await store.savePlan(
          planner.streamed(message, directory: fixture.configuration.directory, at: now),
          approved: message.audiences, at: now)
      }
      return moved
    }

    func recipients(of id: MessageID) async throws -> [String] {
      try await fixture.strings(
        "SELECT recipient_id FROM deliveries WHERE message_id = '\(id)' ORDER BY recipient_id")
    }

    func events(_ kind: String) async throws -> Int {
      try await fixture.integers("SELECT COUNT(*) FROM audit_events WHERE kind = '\(kind)'")[0]
    }

    func decide(
      _ id: MessageID, _ verdict: ApprovalDecision.Verdict = .approve,
      by decider: ApprovalDecision.Decider, reason: String? = nil, at offset: TimeInterval = 60
    ) async throws -> ApprovalOutcome {
      try await store.decide(
        ApprovalDecision(
          messageID: id, verdict: verdict, decider: decider, via: "test", reason: reason,
          at: fixture.clock.now() + offset))
    }
  }

  static let nobodyByRight: @Sendable (String) -> Bool = { _ in false }

  @Test(arguments: StoreKind.allCases)
  func aMessageWaitsForApprovalAndGoesWhenApproved(kind: StoreKind) async throws {
    let setup = try Setup(kind)
    defer { setup.fixture.cleanUp() }
    let id = try await setup.send(["police", "staff"])
    #expect(
      try await setup.fixture.integers(
        "SELECT COUNT(*) FROM message_bulletins WHERE message_id = '\(id)' AND audience = 'police'")
        == [0])
    // Asked at once: one notice, a delivery per contact of each approver.
    #expect(try await setup.turn() == 1)
    #expect(try await setup.recipients(of: id).isEmpty, "nothing goes while police waits")
    let asked = try await setup.fixture.strings(
      """
      SELECT d.recipient_id || ' ' || d.address FROM deliveries d JOIN messages m ON m.id = d.message_id
      WHERE m.kind = 'approval' ORDER BY 1
      """)
    #expect(asked == ["a anne@kommune.example", "p1 +4533333333", "p1 vagtchef@politi.example"])
    #expect(try await setup.fixture.integers("SELECT COUNT(*) FROM approval_requests") == [3])
    // The sender is no approver; the police's duty officer is (by link).
    await #expect(throws: StoreError.self) {
      _ = try await setup.decide(id, by: .operatorName("tester", mayApprove: Self.nobodyByRight))
    }
    let outcome = try await setup.decide(id, by: .recipient("p1"))
    #expect(outcome.decided.map(\.state) == [.approved])
    #expect(outcome.decided.first?.waited == 60)
    try await setup.turn(at: 61)
    #expect(try await setup.recipients(of: id) == ["a", "b", "p1"])
    #expect(
      try await setup.fixture.integers(
        "SELECT number FROM message_bulletins WHERE message_id = '\(id)' AND audience = 'police'")
        == [1])
    let status = try #require(try await setup.store.status(of: id))
    #expect(status.approvals?.first?.decidedBy == "p1")
    #expect(status.approvals?.first?.latency == 60)
    // Decided: no reminder goes.
    #expect(try await setup.turn(at: 3600) == 0)
  }

  @Test(arguments: StoreKind.allCases)
  func theSendersOwnApprovalIsRefusedAndOthersMayGo(kind: StoreKind) async throws {
    let setup = try Setup(kind, "others = \"go\"")
    defer { setup.fixture.cleanUp() }
    var request = setup.fixture.request(audiences: ["police", "staff"])
    request.sender = Sender(kind: .cli, name: "vagtchef", origin: "localhost")
    guard case .accepted(let id) = try await setup.fixture.intake().accept(request) else {
      throw StoreError.corrupt("not accepted")
    }
    try await setup.turn()
    // Staff went at once; police waits.
    #expect(try await setup.recipients(of: id) == ["a", "b"])
    let own = await #expect(throws: StoreError.self) {
      _ = try await setup.decide(id, by: .recipient("p1"))
    }
    #expect(
      "\(own.map { "\($0)" } ?? "")".contains("may not approve it for police: a second person must")
    )
    #expect(try await setup.events("approval.approved") == 0)
    _ = try await setup.decide(id, by: .operatorName("anne", mayApprove: { $0 == "police" }))
    try await setup.turn(at: 61)
    // Anne has her staff copy already: police adds only the duty officer.
    #expect(try await setup.recipients(of: id) == ["a", "b", "p1"])
  }

  @Test(arguments: StoreKind.allCases)
  func rejectedCancelledOrSupersededItNeverGoes(kind: StoreKind) async throws {
    let setup = try Setup(kind)
    defer { setup.fixture.cleanUp() }
    let rejected = try await setup.send(["police", "staff"])
    _ = try await setup.decide(rejected, .reject, by: .recipient("a"), reason: "Forkert tal")
    let cancelled = try await setup.send(["police"])
    _ = try await setup.store.cancel(
      Cancellation(
        messageID: cancelled, reason: "Fejl",
        actor: Sender(kind: .cli, name: "tester", origin: "localhost"),
        at: setup.fixture.clock.now()))
    let old = try await setup.send(["police", "staff"])
    let new = try await setup.send(["staff"], supersedes: old)
    try await setup.turn(at: 120)
    // The rejected one went to staff only (its other audience), the
    // cancelled and the superseded ones nowhere; the new one to staff.
    #expect(try await setup.recipients(of: rejected) == ["a", "b"])
    #expect(try await setup.recipients(of: cancelled).isEmpty)
    #expect(try await setup.recipients(of: old).isEmpty)
    #expect(try await setup.recipients(of: new) == ["a", "b"])
    #expect(try await setup.events("approval.withdrawn") == 2)
    // Nobody is asked about a withdrawn message; the rejected one's
    // approvers are not asked again.
    #expect(try await setup.turn(at: 3600) == 0)
    await #expect(throws: StoreError.self) {
      _ = try await setup.decide(old, by: .recipient("p1"))
    }
  }

  @Test(arguments: StoreKind.allCases)
  func flashGoesAtOnceFlaggedOrIsRefused(kind: StoreKind) async throws {
    let setup = try Setup(kind)
    defer { setup.fixture.cleanUp() }
    let id = try await setup.send(["police"], priority: .flash)
    try await setup.turn()
    #expect(try await setup.recipients(of: id) == ["p1"])
    let status = try #require(try await setup.store.status(of: id))
    #expect(status.approvals?.map(\.state) == [.bypassed])
    #expect(try await setup.events("approval.bypassed") == 1)
    let refusing = try Setup(kind, "flash = \"refuse\"")
    defer { refusing.fixture.cleanUp() }
    await #expect(throws: IntakeError.self) {
      _ = try await refusing.send(["police"], priority: .flash)
    }
  }

  @Test(arguments: StoreKind.allCases)
  func aTimeoutHoldsAndRemindsOrSends(kind: StoreKind) async throws {
    let setup = try Setup(kind, "timeout = \"10m\"")
    defer { setup.fixture.cleanUp() }
    let id = try await setup.send(["police"])
    #expect(try await setup.turn() == 1)
    #expect(try await setup.turn(at: 120) == 0, "not yet due again")
    #expect(try await setup.turn(at: 300) == 1)
    #expect(try await setup.events("approval.reminded") == 1)
    #expect(try await setup.turn(at: 600) == 2, "timed out (held) and reminded")
    #expect(try await setup.events("approval.timed_out") == 1)
    #expect(try await setup.recipients(of: id).isEmpty, "held")
    let status = try #require(try await setup.store.status(of: id))
    #expect(status.approvals?.first?.state == .pending)
    #expect(status.approvals?.first?.timedOutAt != nil)

    let sending = try Setup(kind, "timeout = \"10m\"\non_timeout = \"send\"")
    defer { sending.fixture.cleanUp() }
    let sent = try await sending.send(["police"])
    try await sending.turn()
    try await sending.turn(at: 600)
    #expect(try await sending.recipients(of: sent) == ["p1"])
    let record = try #require(try await sending.store.approvals(of: sent).first)
    #expect(record.state == .approved && record.decidedBy == "timeout")
  }
}
