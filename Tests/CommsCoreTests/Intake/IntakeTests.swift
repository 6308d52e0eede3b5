import Foundation
import Testing

@testable import CommsCore

@Suite struct IntakeTests {
  func refusal(_ request: SendRequest, in fixture: StoreFixture) async throws -> IntakeError? {
    do {
      _ = try await fixture.intake().accept(request)
      return nil
    } catch let error as IntakeError {
      return error
    }
  }

  @Test func refusesWhatIsWrongAndNamesTheField() async throws {
    let fixture = try StoreFixture()
    defer { fixture.cleanUp() }
    let cases: [(SendRequest, String)] = [
      (fixture.request(subject: ""), "subject"),
      (fixture.request(subject: "Hej\nBcc: x@example.test"), "subject"),
      (fixture.request(subject: String(repeating: "x", count: 251)), "subject"),
      (fixture.request(body: "   "), "body"),
      (fixture.request(body: String(repeating: "x", count: 64 * 1024 + 1)), "body"),
      (fixture.request(audiences: []), "audience"),
      (fixture.request(audiences: ["firemen"]), "audience"),
      (fixture.request(audiences: ["staff", "staff"]), "audience"),
      (fixture.request(key: "has space"), "idempotency_key"),
    ]
    for (request, field) in cases {
      let error = try await refusal(request, in: fixture)
      #expect(error?.field == field, "\(String(describing: error))")
    }
    #expect(try await fixture.store.unplannedMessages(limit: 100, now: .distantFuture).isEmpty)
  }

  @Test func missingDefaultLanguageIsRefused() async throws {
    let fixture = try StoreFixture()
    defer { fixture.cleanUp() }
    var request = fixture.request()
    request.contents = ["en": MessageContent(subject: "Hello", body: "Text")]
    #expect(try await refusal(request, in: fixture)?.field == "body")
  }

  @Test func unknownAudienceErrorListsTheConfiguredOnes() async throws {
    let fixture = try StoreFixture()
    defer { fixture.cleanUp() }
    let error = try await refusal(fixture.request(audiences: ["firemen"]), in: fixture)
    #expect(
      error?.description
        == "audience: unknown audience \"firemen\" (configured: police, relatives, staff)")
  }
}
