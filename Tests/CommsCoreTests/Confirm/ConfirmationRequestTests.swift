import Foundation
import Testing

@testable import CommsCore

/// `--confirm …` and the API's `confirm` read and checked: every mistake
/// named by its option, nothing stored.
@Suite struct ConfirmationRequestTests {
  @Test func theOptionsAreReadAsTyped() throws {
    let request = try ConfirmationRequest.reading(
      within: "1h", escalateAfter: "15m", escalateTo: "@deputy", cycles: 2, responsesNeeded: 3)
    #expect(
      request
        == ConfirmationRequest(
          withinSeconds: 3600, escalateAfterSeconds: 900, escalateTo: .deputy, cycles: 2,
          responsesNeeded: 3))
    #expect(
      try ConfirmationRequest.reading(
        within: nil, escalateAfter: nil, escalateTo: "police", cycles: nil, responsesNeeded: nil)
        == ConfirmationRequest(withinSeconds: 1800, escalateTo: .audience("police")))
    // Stored as JSON and read back the same.
    let data = try JSONCoding.encoder().encode(request)
    #expect(try JSONCoding.decoder().decode(ConfirmationRequest.self, from: data) == request)
    #expect(
      String(decoding: data, as: UTF8.self).contains(#""escalate_to":"@deputy""#))
    for (within, after, target, field) in [
      ("half an hour", nil, nil, "confirm-within"),
      ("99999999999999999999d", nil, nil, "confirm-within"),
      (nil, "15", nil, "escalate-after"), (nil, nil, "@boss", "escalate-to"),
      (nil, nil, "police\nBcc", "escalate-to"),
    ] as [(String?, String?, String?, String)] {
      #expect {
        try ConfirmationRequest.reading(
          within: within, escalateAfter: after, escalateTo: target, cycles: nil,
          responsesNeeded: nil)
      } throws: { ($0 as? IntakeError)?.field == field }
    }
  }

  @Test func intakeRefusesWhatCannotBeKeptAndNamesTheOption() async throws {
    let fixture = try StoreFixture()
    defer { fixture.cleanUp() }
    let cases: [(ConfirmationRequest, String, String)] = [
      (ConfirmationRequest(withinSeconds: 30), "confirm-within", "give 1m to 7d"),
      (ConfirmationRequest(withinSeconds: 8 * 86400), "confirm-within", "give 1m to 7d"),
      (
        ConfirmationRequest(withinSeconds: 1800, escalateAfterSeconds: 3600), "escalate-after",
        "up to --confirm-within"
      ),
      (ConfirmationRequest(escalateTo: .audience("police")), "escalate-to", "give that too"),
      (ConfirmationRequest(escalateAfterSeconds: 600, cycles: 9), "cycles", "give 1 to 5"),
      (ConfirmationRequest(cycles: 2), "cycles", "--escalate-after"),
      (ConfirmationRequest(responsesNeeded: 0), "responses-needed", "1 or more"),
      (
        ConfirmationRequest(escalateAfterSeconds: 600, escalateTo: .audience("firemen")),
        "escalate-to", "unknown audience \"firemen\""
      ),
      (
        ConfirmationRequest(escalateAfterSeconds: 600, escalateTo: .deputy), "escalate-to",
        "no recipient names a deputy"
      ),
    ]
    for (confirmation, field, words) in cases {
      var request = fixture.request()
      request.confirmation = confirmation
      do {
        _ = try await fixture.intake().accept(request)
        Issue.record("accepted \(confirmation)")
      } catch let error as IntakeError {
        #expect(error.field == field && error.message.contains(words), "\(error)")
      }
    }
    #expect(try await fixture.store.unplannedMessages(limit: 100, now: .distantFuture).isEmpty)
    // The same key with another confirmation is a conflict, not a duplicate.
    var first = fixture.request(key: "k1")
    first.confirmation = ConfirmationRequest(withinSeconds: 600)
    var second = first
    second.confirmation = ConfirmationRequest(withinSeconds: 900)
    #expect(Intake.fingerprint(of: first) != Intake.fingerprint(of: second))
    #expect(Intake.fingerprint(of: fixture.request(key: "k1")) != Intake.fingerprint(of: first))
  }

  /// `[audiences.NAME.confirm]`: every message to the audience asks for
  /// confirmation unless the sender gives their own or declines; a bad key
  /// is named with file, line and key.
  @Test func anAudienceCanAskForConfirmationByDefault() async throws {
    let fixture = try StoreFixture(
      more: """
        [audiences.leaders.confirm]
        within = "20m"
        escalate_after = "10m"
        escalate_to = "relatives"
        [[recipients]]
        id = "l"
        name = "Lone"
        audiences = ["leaders"]
        contacts = ["lone@kommune.example"]
        """)
    defer { fixture.cleanUp() }
    let asked = ConfirmationRequest(
      withinSeconds: 1200, escalateAfterSeconds: 600, escalateTo: .audience("relatives"))
    #expect(fixture.configuration.audiences["leaders"]?.confirmation == asked)
    #expect(fixture.configuration.audiences["staff"]?.confirmation == nil)
    func stored(_ request: SendRequest) async throws -> ConfirmationRequest? {
      guard case .accepted(let id) = try await fixture.intake().accept(request) else {
        throw StoreError.corrupt("not accepted")
      }
      return try await fixture.store.message(id)?.confirmation
    }
    #expect(try await stored(fixture.request(audiences: ["staff", "leaders"])) == asked)
    #expect(try await stored(fixture.request(audiences: ["staff"])) == nil)
    var own = fixture.request(audiences: ["leaders"])
    own.confirmation = ConfirmationRequest(withinSeconds: 300)
    #expect(try await stored(own) == ConfirmationRequest(withinSeconds: 300))
    var declined = fixture.request(audiences: ["leaders"])
    declined.declinesConfirmation = true
    #expect(try await stored(declined) == nil)
    // Over the intake socket's wire too.
    let wire = IntakeWire.Request(declined)
    #expect(wire.sendRequest(sender: declined.sender).declinesConfirmation)

    for (bad, key) in [
      ("escalate_after = \"2h\"", "audiences.x.confirm.escalate_after"),
      ("cycles = 9", "audiences.x.confirm.cycles"), ("whom = 1", "audiences.x.confirm.whom"),
      ("escalate_to = \"@boss\"", "audiences.x.confirm.escalate_to"),
    ] {
      do {
        _ = try ConfigurationLoader.parse(
          "data_dir = \"var\"\n[audiences.x.confirm]\n\(bad)", file: "/etc/c.toml")
        Issue.record("\(bad) was taken")
      } catch {
        #expect("\(error)".contains("/etc/c.toml:3") && "\(error)".contains(key), "\(error)")
      }
    }
  }
}
