import Foundation
import GRDB
import PostgresTestSupport
import Testing

@testable import CommsCore

/// The planner's queue, taken in order from the `messages_planning_order`
/// index (issue 25: ordered by a sort over every unplanned row, a turn read
/// 3,000 pages with 45,000 messages waiting).
@Suite struct PlanningOrderTests {
  /// Flash first, then urgent, normal and bulk, oldest first within each;
  /// a scheduled message only once its time has come; at most the limit.
  @Test(arguments: StoreKind.allCases) func theQueueIsTakenByPriorityThenAge(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    var ids: [String: MessageID] = [:]
    for (name, priority) in [
      ("bulk", Priority.bulk), ("normal 1", .normal), ("urgent", .urgent), ("normal 2", .normal),
      ("flash", .flash), ("later", .flash),
    ] {
      var request = fixture.request(subject: name)
      request.priority = priority
      if name == "later" { request.notBefore = fixture.clock.now() + 3600 }
      let id = try await fixture.accept(request)
      ids[name] = id
      fixture.clock.advance(by: 1)
    }
    func queue(_ limit: Int, at now: Date) async throws -> [MessageID] {
      try await fixture.store.unplannedMessages(limit: limit, now: now).map(\.id)
    }
    let now = fixture.clock.now()
    let expected = ["flash", "urgent", "normal 1", "normal 2", "bulk"].compactMap { ids[$0] }
    #expect(try await queue(16, at: now) == expected)
    #expect(try await queue(2, at: now) == Array(expected.prefix(2)))
    let later = try #require(ids["later"])
    #expect(
      try await queue(16, at: now + 3600) == [try #require(ids["flash"]), later]
        + expected.dropFirst())
  }

  /// On SQLite the index gives the order: no sort of the queue.
  @Test func onSQLiteTheIndexGivesTheOrder() async throws {
    let fixture = try StoreFixture(.sqlite)
    defer { fixture.cleanUp() }
    let plan = try await fixture.sqlite.pool.read { db in
      try Row.fetchAll(
        db, sql: "EXPLAIN QUERY PLAN " + PlanningQueue.sql,
        arguments: [Timestamp.format(fixture.clock.now()), 16]
      ).map { $0["detail"] as String? ?? "" }.joined(separator: " | ")
    }
    #expect(plan.contains("USING INDEX messages_planning_order"), "\(plan)")
    #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
  }

  /// On PostgreSQL the index can give the order: with sorting priced out,
  /// the plan reads it rather than sorting.
  @Test func onPostgreSQLTheIndexCanGiveTheOrder() async throws {
    let fixture = try StoreFixture(.postgres)
    defer { fixture.cleanUp() }
    let sql = PlanningQueue.sql
      .replacingOccurrences(of: "not_before <= ?", with: "not_before <= '2030-01-01'")
      .replacingOccurrences(of: "LIMIT ?", with: "LIMIT 16")
    let plan = try TestPostgres.psql(
      try #require(fixture.databaseURL), "SET enable_sort = off; EXPLAIN " + sql)
    #expect(plan.contains("messages_planning_order"), "\(plan)")
    #expect(!plan.contains("Sort"), "\(plan)")
  }

  /// A store upgraded with messages waiting (the daemon restarted on a new
  /// version mid-crisis): the migration builds the index over them, and
  /// they are taken in order.
  @Test func anUpgradedStoreTakesTheMessagesWaitingInOrder() async throws {
    let fixture = try StoreFixture(.sqlite)
    defer { fixture.cleanUp() }
    var ids: [MessageID] = []
    for priority in [Priority.normal, .urgent, .normal] {
      var request = fixture.request(subject: "\(priority)")
      request.priority = priority
      let id = try await fixture.accept(request)
      ids.append(id)
      fixture.clock.advance(by: 1)
    }
    // As the store was before migration 0018.
    try await fixture.sqlite.pool.write { db in
      try db.execute(
        sql: """
          DROP INDEX messages_planning_order;
          CREATE INDEX messages_unplanned ON messages(accepted_at) WHERE planned_at IS NULL;
          DELETE FROM grdb_migrations WHERE identifier = '0018-planning-order';
          """)
    }
    let upgraded = try fixture.reopened()
    let order = try await upgraded.unplannedMessages(limit: 16, now: fixture.clock.now())
    #expect(order.map(\.id) == [ids[1], ids[0], ids[2]])
    let indexes = try await fixture.strings(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' ORDER BY name")
    #expect(indexes.contains("messages_planning_order"))
    #expect(!indexes.contains("messages_unplanned"))
  }
}
