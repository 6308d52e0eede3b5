import Foundation
import Testing

@testable import CommsCore

/// The dry run says what would wait for approval, and what flash passes.
@Suite struct ApprovalDryRunTests {
  @Test func theDryRunSaysWhatWouldWait() async throws {
    let fixture = try StoreFixture(.sqlite, more: ApprovalStoreTests.rule())
    defer { fixture.cleanUp() }
    var request = fixture.request(audiences: ["police", "staff"])
    let waiting = try await DryRun.report(request, intake: fixture.intake())
    #expect(
      waiting.warnings.contains(
        "police: waits for approval by 1 of Politiets vagtchef, Anne before it goes (the other audiences wait too)"
      ), "\(waiting.warnings)")
    request.priority = .flash
    let flash = try await DryRun.report(request, intake: fixture.intake())
    #expect(
      flash.warnings.contains { $0.hasPrefix("police: asks for approval, but flash is never held") }
    )
    #expect(
      try await fixture.store.unplannedMessages(limit: 10, now: .distantFuture).isEmpty,
      "nothing stored")
  }
}
