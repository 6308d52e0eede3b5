import Foundation
import GRDB
import Testing

@testable import CommsCore

/// `Store.nextDueDate()`, which the dispatcher asks each time it goes idle,
/// answered by one seek per partial index (issue 25: one `MIN` over every
/// waiting state read the whole table each time).
@Suite struct NextDueQueryTests {
  /// The queries name their states by hand, to match the indexes' `WHERE`:
  /// they must still be the states a lease and a release take from.
  @Test func theQueriesAskForTheStatesLeasesAndReleasesTakeFrom() {
    let sql = NextDueQueries.all.map(\.sql).joined(separator: "\n")
    let asked = Set(
      DeliveryState.allCases.filter { sql.contains("'\($0.rawValue)'") })
    let waiting = Set(DeliveryTransition.lease.from + DeliveryTransition.releaseHeld.from)
    #expect(asked == waiting)
    #expect(NextDueQueries.all.count == Priority.allCases.count + 1)
  }

  /// On SQLite each query is a search in its partial index, not a scan.
  @Test func eachQuerySearchesAnIndex() async throws {
    let fixture = try StoreFixture(.sqlite)
    defer { fixture.cleanUp() }
    for index in NextDueQueries.all.indices {
      let (sql, plan) = try await fixture.sqlite.pool.read { db in
        let (sql, arguments) = NextDueQueries.all[index]
        let rows = try Row.fetchAll(
          db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(arguments))
        return (sql, rows.map { $0["detail"] as String? ?? "" }.joined(separator: " "))
      }
      #expect(
        plan.contains("USING INDEX deliveries_leasable")
          || plan.contains("USING INDEX deliveries_held"), "\(sql): \(plan)")
    }
  }

  @Test(arguments: StoreKind.allCases) func theEarliestAmongLanesAndHeldIsFound(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["staff"]))
    let ids = try await fixture.strings(
      "SELECT id FROM deliveries WHERE message_id = '\(id.rawValue)' ORDER BY id")
    #expect(ids.count == 2)
    let now = fixture.clock.now()
    func set(_ delivery: String, _ state: String, lane: Int, due: Date) async throws {
      try await fixture.execute(
        "UPDATE deliveries SET state = ?, lane = \(lane), due_at = ? WHERE id = ?",
        [state, Timestamp.format(due), delivery])
    }
    try await set(ids[0], "retrying", lane: 3, due: now + 30)
    try await set(ids[1], "held", lane: 2, due: now + 20)
    #expect(try await fixture.store.nextDueDate() == now + 20)
    try await set(ids[1], "delivered", lane: 0, due: now + 1)
    #expect(try await fixture.store.nextDueDate() == now + 30)
    try await set(ids[1], "ready", lane: 0, due: now + 25)
    #expect(try await fixture.store.nextDueDate() == now + 25)
    try await set(ids[0], "dead", lane: 3, due: now)
    try await set(ids[1], "sending", lane: 0, due: now)
    #expect(try await fixture.store.nextDueDate() == nil)
  }
}
