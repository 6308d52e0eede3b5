import Foundation
import Logging
import Testing

@testable import CommsCore

/// The planner's turn: small messages share a transaction, and a message
/// that Dose weighs against the recent ones still sees every plan written
/// before it in the same turn (issue 25).
@Suite struct PlanningLoopTests {
  static let capped = """
    [audiences.capped.dosing]
    quiet_hours = "none"
    cap = 1
    [[recipients]]
    id = "d"
    name = "Dorte"
    audiences = ["capped"]
    contacts = ["dorte@kommune.example"]
    """

  func loop(_ fixture: StoreFixture) -> PlanningLoop {
    let configuration = fixture.configuration
    return PlanningLoop(
      store: fixture.store, planner: Planner(dosing: Dosing()),
      directory: DirectorySource(configuration: configuration),
      policies: configuration.audiences.mapValues(\.dosing),
      digests: DigestBuilder(store: fixture.store, audiences: configuration.audiences),
      clock: fixture.clock, pollInterval: .seconds(1), doorbell: Doorbell(), planned: {},
      logger: Logger(label: "test"))
  }

  func accept(_ fixture: StoreFixture, _ audiences: [String], _ priority: Priority) async throws
    -> MessageID
  {
    var request = fixture.request(audiences: audiences)
    request.priority = priority
    let id = try await fixture.accept(request)
    fixture.clock.advance(by: 1)
    return id
  }

  /// Plans after the first join its transaction until it has written the
  /// deliveries given; the first is always written, however large.
  @Test(arguments: StoreKind.allCases) func plansShareATransactionUpToTheDeliveriesGiven(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    var plans: [StreamedPlan] = []
    for _ in 0..<4 {
      let id = try await accept(fixture, ["staff"], .urgent)  // two recipients each
      let message = try #require(try await fixture.store.message(id))
      plans.append(
        Planner(dosing: Dosing()).streamed(
          message, directory: fixture.configuration.directory, at: fixture.clock.now()))
    }
    let now = fixture.clock.now()
    #expect(try await fixture.store.savePlans(plans, at: now, deliveries: 3) == 2)
    #expect(
      try await fixture.store.savePlans(Array(plans.dropFirst(2)), at: now, deliveries: 1) == 1)
    #expect(
      try await fixture.store.savePlans(Array(plans.dropFirst(3)), at: now, deliveries: 100) == 1)
    #expect(try await fixture.store.savePlans([], at: now, deliveries: 100) == 0)
    let perMessage = try await fixture.integers(
      "SELECT count(*) FROM deliveries GROUP BY message_id ORDER BY message_id")
    #expect(perMessage == [2, 2, 2, 2])
    #expect(
      try await fixture.integers(
        "SELECT count(*) FROM audit_events WHERE kind = 'message.planned'") == [4])
    #expect(try await fixture.store.unplannedMessages(limit: 16, now: now).isEmpty)
  }

  /// One turn plans them all; the second message to a capped audience is
  /// held for the cap, because the first one's plan was written before its
  /// history was read, while the uncapped ones around them share commits.
  @Test(arguments: StoreKind.allCases) func aCappedMessageSeesThePlansBeforeItInTheSameTurn(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind, more: Self.capped)
    defer { fixture.cleanUp() }
    let first = try await accept(fixture, ["staff"], .urgent)
    let capped1 = try await accept(fixture, ["capped"], .normal)
    let middle = try await accept(fixture, ["relatives"], .urgent)
    let capped2 = try await accept(fixture, ["capped"], .normal)
    #expect(try await loop(fixture).planPending() == 4)
    func states(_ id: MessageID) async throws -> [String] {
      try await fixture.strings(
        "SELECT state || '/' || COALESCE(hold_reason, '-') FROM deliveries WHERE message_id = '\(id.rawValue)' ORDER BY id"
      )
    }
    let written = [
      try await states(first), try await states(middle), try await states(capped1),
      try await states(capped2),
    ]
    #expect(written.map(\.count) == [2, 2, 1, 1])
    #expect(written[2] == ["ready/-"])
    #expect(written[3] == ["held/cap reached"])
    #expect(try await fixture.store.unplannedMessages(limit: 16, now: fixture.clock.now()).isEmpty)
  }

  /// A message whose plan the store refuses is left for a later turn; the
  /// messages before and after it in the turn are planned, and it is once
  /// the store takes it.
  @Test func aMessageTheStoreRefusesDoesNotHoldUpTheOthers() async throws {
    let fixture = try StoreFixture(.sqlite)
    defer { fixture.cleanUp() }
    let before = try await accept(fixture, ["staff"], .urgent)
    let refused = try await accept(fixture, ["relatives"], .urgent)
    let after = try await accept(fixture, ["staff"], .urgent)
    try await fixture.execute(
      """
      CREATE TRIGGER refuse BEFORE INSERT ON deliveries WHEN NEW.message_id = '\(refused.rawValue)'
      BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
      """)
    let loop = loop(fixture)
    #expect(try await loop.planPending() == 2)
    let waiting = try await fixture.store.unplannedMessages(limit: 16, now: fixture.clock.now())
    #expect(waiting.map(\.id) == [refused])
    let planned = try await fixture.strings(
      "SELECT DISTINCT message_id FROM deliveries ORDER BY message_id")
    #expect(planned == [before.rawValue, after.rawValue].sorted())
    try await fixture.execute("DROP TRIGGER refuse")
    #expect(try await loop.planPending() == 1)
    #expect(try await fixture.store.unplannedMessages(limit: 16, now: fixture.clock.now()).isEmpty)
  }
}
