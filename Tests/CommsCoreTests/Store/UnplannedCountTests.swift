import Foundation
import Testing

@testable import CommsCore

/// Messages accepted and not yet planned, counted for `/metrics`, the
/// dashboard and the console: a planner that falls behind shows before any
/// of their deliveries exists (issue 25 found one that did, unseen).
/// Scheduled ones and those waiting for an approval are not behind.
@Suite struct UnplannedCountTests {
  @Test(arguments: StoreKind.allCases) func unplannedMessagesAreCountedByPriority(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind, more: ApprovalStoreTests.rule())
    defer { fixture.cleanUp() }
    var planned: MessageID?
    // The urgent one to police waits for its approval, with staff.
    for (priority, scheduled, audiences) in [
      (Priority.normal, false, ["staff"]), (.normal, false, ["staff"]), (.urgent, false, ["staff"]),
      (.urgent, true, ["staff"]), (.bulk, false, ["staff"]), (.urgent, false, ["police", "staff"]),
    ] {
      var request = fixture.request(audiences: audiences)
      request.priority = priority
      if scheduled { request.notBefore = fixture.clock.now() + 3600 }
      let id = try await fixture.accept(request)
      if priority == .bulk { planned = id }
    }
    let id = try #require(planned)
    let message = try #require(try await fixture.store.message(id))
    try await fixture.store.savePlan(
      Planner(dosing: Dosing()).streamed(
        message, directory: fixture.configuration.directory, at: fixture.clock.now()),
      at: fixture.clock.now())
    let counts = try await fixture.store.metricCounts()
    #expect(counts.unplannedByPriority == [.normal: 2, .urgent: 1])
    #expect(counts.unplanned == 3)
    let series = HealthController.storeSeries(counts)
    #expect(series.contains("commsd_messages_unplanned{priority=\"normal\"} 2\n"))
    #expect(series.contains("commsd_messages_unplanned{priority=\"flash\"} 0\n"))
  }
}
