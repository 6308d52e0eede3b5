import CommsCore
import Foundation
import Testing

extension EndToEnd.API {
  static let questionSource = """
    [hooks.borgerservice]
    secret = "\(hookSecret)"
    inquiries = true

    """

  /// Another system (the citizens' service desk) posts a relative's
  /// question as a signed hook; a token's system lists, reads and answers
  /// it over `/v1/inquiries`; what the token may not see is 404, a second
  /// answer 409, a read-only token 403.
  @Test func aQuestionFromAnotherSystemIsAnsweredOverTheAPI() async throws {
    try await withWorkspace { workspace in
      let setup = try await Self.setUp(workspace, more: Self.questionSource)
      let body = #"{"recipient":"r2","text":"Hvornår må vi besøge min far?","name":"Aisha"}"#
      let now = Int(Date().timeIntervalSince1970)
      let posted = try await setup.client.call(
        "POST", "/v1/hooks/borgerservice", body: Data(body.utf8),
        headers: Self.signed(body, id: "q_1", timestamp: now))
      #expect(posted.status == 202, "\(posted.text)")
      let id = try #require(posted.json["inquiry"] as? String)
      #expect(posted.json["match"] as? String == "person")
      let replayed = try await setup.client.call(
        "POST", "/v1/hooks/borgerservice", body: Data(body.utf8),
        headers: Self.signed(body, id: "q_1", timestamp: now))
      #expect(replayed.status == 409 && replayed.field == "webhook-id")
      let noText = #"{"recipient":"r2"}"#
      let refused = try await setup.client.call(
        "POST", "/v1/hooks/borgerservice", body: Data(noText.utf8),
        headers: Self.signed(noText, id: "q_2", timestamp: now))
      #expect(refused.status == 422 && refused.field == "text", "\(refused.text)")

      let list = try await setup.client.call("GET", "/v1/inquiries", token: setup.reader.token)
      #expect(list.status == 200, "\(list.text)")
      let listed = try #require(
        try JSONSerialization.jsonObject(with: list.body) as? [[String: Any]])
      #expect(listed.map { $0["id"] as? String } == [id])
      #expect(listed.first?["recipient_id"] as? String == "r2")
      #expect(listed.first?["channel"] as? String == "hook")
      let shown = try await setup.client.call("GET", "/v1/inquiries/\(id)", token: setup.care.token)
      #expect(shown.json["text"] as? String == "Hvornår må vi besøge min far?")
      #expect(
        try await setup.client.call("GET", "/v1/inquiries/inq_nope", token: setup.care.token)
          .status == 404)

      let readOnly = try await setup.client.call(
        "POST", "/v1/inquiries/\(id)/answer", token: setup.reader.token,
        json: #"{"text":"Fra mandag."}"#)
      #expect(readOnly.status == 403)
      let bad = try await setup.client.call(
        "POST", "/v1/inquiries/\(id)/answer", token: setup.care.token,
        json: #"{"text":"Fra mandag.","colour":"red"}"#)
      #expect(bad.status == 422 && bad.field == "colour")
      let answered = try await setup.client.call(
        "POST", "/v1/inquiries/\(id)/answer", token: setup.care.token,
        json: #"{"text":"Besøg er tilladt fra mandag kl. 10."}"#)
      #expect(answered.status == 200, "\(answered.text)")
      // A question from a hook is answered on the person's first contact: Aisha's email.
      try await eventually(timeout: .seconds(20), "the answer by email") {
        setup.smtp.emails.contains { $0.subject == "Svar på dit spørgsmål" }
      }
      let email = try #require(setup.smtp.emails.first { $0.subject == "Svar på dit spørgsmål" })
      #expect(email.rcptTos == ["jens@kommune.test"])
      #expect(email.body?.contains("Besøg er tilladt fra mandag kl. 10.") == true)
      let again = try await setup.client.call(
        "POST", "/v1/inquiries/\(id)/answer", token: setup.care.token,
        json: #"{"text":"Igen"}"#)
      #expect(again.status == 409 && again.field == "inquiry", "\(again.text)")
      let closed = try await setup.client.call(
        "POST", "/v1/inquiries/\(id)/close", token: setup.care.token, json: #"{"reason":"x"}"#)
      #expect(closed.status == 409)
      let all = try await setup.client.call(
        "GET", "/v1/inquiries?state=answered", token: setup.care.token)
      #expect(all.text.contains(id))
    }
  }
}
