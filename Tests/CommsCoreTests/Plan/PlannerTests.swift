import Foundation
import Testing

@testable import CommsCore

@Suite struct PlannerTests {
  @Test func personInTwoAudiencesGetsOneCopyOnTheirFirstContact() async throws {
    let fixture = try StoreFixture()
    defer { fixture.cleanUp() }
    let id = try await fixture.acceptAndPlan(fixture.request(audiences: ["relatives", "staff"]))
    let status = try #require(try await fixture.store.status(of: id))
    #expect(status.deliveries.map(\.recipient).sorted() == ["a", "b", "c"])
    let bo = try #require(status.deliveries.first { $0.recipient == "b" })
    #expect(bo.audience == "relatives")
    #expect(bo.contact == "sms:+4511111111")
    #expect(bo.channel == "webhook")
    #expect(status.counts == ["ready": 3])
  }

  @Test func recipientGetsTheirLanguageElseTheDefault() throws {
    let fixture = try StoreFixture()
    defer { fixture.cleanUp() }
    let message = Message(
      id: MessageID(rawValue: "msg_01JDZ0000000000000000000AA"), idempotencyKey: nil,
      sender: Sender(kind: .cli, name: "t", origin: "h"), audiences: ["staff"], priority: .normal,
      kind: .update,
      contents: [
        "da": MessageContent(subject: "Dansk", body: "d"),
        "en": MessageContent(subject: "English", body: "e"),
      ],
      defaultLanguage: "da", acceptedAt: fixture.clock.now())
    var generator = SeededGenerator(state: 7)
    let plan = Planner(dosing: Dosing()).plan(
      message, directory: fixture.configuration.directory, at: fixture.clock.now(),
      using: &generator)
    #expect(
      Dictionary(uniqueKeysWithValues: plan.deliveries.map { ($0.recipientID, $0.language) }) == [
        "a": "da", "b": "en",
      ])
    #expect(plan.recipientsPerAudience == ["staff": 2])
    #expect(plan.deliveries.allSatisfy { $0.state == .ready && $0.dueAt == fixture.clock.now() })
  }

  @Test func idsAreUniqueAndWellFormed() {
    let ids = (0..<1000).map { _ in
      var generator = SystemRandomNumberGenerator()
      return ULID.make(at: Date(), using: &generator)
    }
    #expect(Set(ids).count == 1000)
    #expect(ids.allSatisfy { $0.count == 26 })
  }
}
