import Foundation
import Testing

@testable import CommsCore

/// Two daemons (nodes) on one store at once: the work is shared, never
/// done twice, and the numbers and the chain stay whole. On SQLite the
/// second "node" is a second connection to the same file, which is how the
/// CLI shares it with the daemon.
@Suite struct SharedStoreTests {
  @Test(arguments: StoreKind.allCases)
  func twoNodesLeasingAtOnceNeverTakeTheSameDelivery(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    for index in 0..<30 {
      _ = try await fixture.acceptAndPlan(
        fixture.request(audiences: ["staff", "relatives"], body: "tekst \(index)"))
    }
    let other = try fixture.reopened()
    let now = fixture.clock.now()
    let leased = try await withThrowingTaskGroup(of: [DeliveryID].self) { group in
      for (node, store) in [("n1", fixture.store), ("n2", other)] {
        group.addTask {
          var mine: [DeliveryID] = []
          while true {
            let batch = try await store.lease(owner: node, now: now, until: now + 60, limit: 7)
            if batch.isEmpty { return mine }
            mine += batch.map(\.id)
          }
        }
      }
      var all: [[DeliveryID]] = []
      for try await ids in group { all.append(ids) }
      return all
    }
    let everything = leased.flatMap { $0 }
    #expect(everything.count == 90)
    #expect(Set(everything).count == 90)
  }

  @Test(arguments: StoreKind.allCases)
  func bulletinsStayGaplessAndTheChainWholeWhenTwoNodesAcceptAtOnce(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let other = try fixture.reopened()
    let intakes = [
      fixture.intake(),
      Intake(configuration: fixture.configuration, store: other, clock: fixture.clock),
    ]
    try await withThrowingTaskGroup(of: Void.self) { group in
      for index in 0..<40 {
        group.addTask {
          var request = fixture.request(audiences: ["staff", "police"], body: "tekst \(index)")
          request.priority = index % 3 == 0 ? .urgent : .normal
          _ = try await intakes[index % 2].accept(request)
        }
      }
      try await group.waitForAll()
    }
    #expect(
      try await fixture.integers(
        "SELECT number FROM message_bulletins WHERE audience = 'staff' ORDER BY number")
        == Array(1...40))
    #expect(
      try await fixture.integers(
        "SELECT number FROM message_bulletins WHERE audience = 'police' ORDER BY number")
        == Array(1...40))
    guard case .intact(let events, _, _) = try await other.verifyAudit() else {
      Issue.record("the chain is broken")
      return
    }
    #expect(events == 40)
  }

  @Test(arguments: StoreKind.allCases)
  func onlyOneNodePlansAtATimeOnASharedStore(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let other = try fixture.reopened()
    let (entered, enter) = AsyncStream<Void>.makeStream()
    let (release, leave) = AsyncStream<Void>.makeStream()
    let first = Task {
      try await fixture.store.planningTurn {
        enter.yield()
        for await _ in release { break }
        return 1
      }
    }
    for await _ in entered { break }
    let second = try await other.planningTurn { 2 }
    leave.yield()
    #expect(try await first.value == 1)
    if other.isShared {
      #expect(second == nil)
      // Given back after the pass: the next turn is anyone's.
      #expect(try await other.planningTurn { 3 } == 3)
    } else {
      #expect(second == 2)
    }
  }
}
