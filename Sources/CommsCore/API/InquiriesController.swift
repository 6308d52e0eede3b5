import Foundation
import Hummingbird

/// `/v1/inquiries`: the questions that came back, for the systems of the
/// people who answer them — the same as `commsd inbox`. A token sees the
/// inquiries of the audiences in its scope (those from unknown senders
/// only with every audience in scope); answering, assigning and closing
/// take a writing token.
struct InquiriesController: APIController {
  let api: APIEnvironment
  /// Every configured audience: a token with all of them sees unmatched inquiries.
  let audiences: Set<String>

  func addRoutes(to router: Router<APIContext>) {
    api.routes("/v1/inquiries", on: router, requiring: .reading(.inbox))
      .get(use: list)
      .get(":id", use: show)
    api.routes("/v1/inquiries", on: router, requiring: .writing([.inbox]))
      .post(":id/answer", use: answer)
      .post(":id/assign", use: assign)
      .post(":id/close", use: close)
  }

  func sees(_ token: APIToken, _ inquiry: Inquiry) -> Bool {
    token.covers(inquiry.audience.map { [$0] } ?? Array(audiences))
  }

  @Sendable func list(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let query = request.uri.queryParameters
    var filter = InboxFilter(limit: try request.pageLimit())
    switch query.get("state") {
    case nil: break
    case "all": filter.states = []
    case let text?:
      guard let state = Inquiry.State(rawValue: text) else {
        throw Problem.invalid("state", "expected open, answered, closed or all")
      }
      filter.states = [state]
    }
    filter.audience = query.get("audience")
    filter.unmatchedOnly = query.get("unmatched") == "true"
    let visible = try await api.store.inquiries(filter).filter { sees(token, $0) }
    return JSONResponse.make(.ok, bytes: Array(InquiryJSON.array(visible).utf8))
  }

  /// The inquiry in the path, if the token may see it; else 404 as if none.
  func visible(_ context: APIContext, _ token: APIToken) async throws -> Inquiry {
    let id = context.parameters.get("id") ?? ""
    guard InquiryID.isWellFormed(id),
      let detail = try await api.store.inquiryDetail(InquiryID(rawValue: id)),
      sees(token, detail.inquiry)
    else { throw Problem.notFound("there is no inquiry \(id.prefix(40)) this token may see") }
    return detail.inquiry
  }

  @Sendable func show(_ request: Request, _ context: APIContext) async throws -> Response {
    let inquiry = try await visible(context, try context.caller())
    return JSONResponse.make(.ok, bytes: Array(InquiryJSON.object(inquiry).utf8))
  }

  @Sendable func answer(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let inquiry = try await visible(context, token)
    let object = try JSONObject.parse(try await request.bodyBytes(upTo: api.maxBodyBytes))
    for key in object.keys where !["text", "language", "again"].contains(key) {
      throw Problem.invalid(key, "unknown member; expected text, language and again")
    }
    let text = (try object.string("text", required: true) ?? "")
      .trimmingCharacters(in: .whitespacesAndNewlines)
    guard (1...4000).contains(text.count) else {
      throw Problem.invalid("text", "give 1 to 4,000 characters")
    }
    let language = try object.string("language") ?? api.defaultLanguage
    guard Intake.isLanguageCode(language) else {
      throw Problem.invalid("language", "expected a language code such as da or ar")
    }
    let sent = try await changing {
      try await api.store.answerInquiry(
        inquiry.id, text: text, language: language, sender: context.sender(token),
        again: try object.bool("again") ?? false,
        directory: api.intake.intake.directory.current, at: api.clock.now())
    }
    api.intake.intake.dispatcher.workArrived()
    return JSONResponse.make(
      .ok,
      [
        "inquiry": inquiry.id.rawValue, "message": sent.message.rawValue,
        "delivery": sent.delivery.rawValue,
      ])
  }

  @Sendable func assign(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let inquiry = try await visible(context, token)
    let object = try JSONObject.parse(try await request.bodyBytes(upTo: api.maxBodyBytes))
    for key in object.keys where key != "to" {
      throw Problem.invalid(key, "unknown member; expected to")
    }
    let to = try object.string("to")
    if let to, !(1...100).contains(to.count) || to.contains(where: \.isNewline) {
      throw Problem.invalid("to", "give a name of 1 to 100 characters on one line, or null")
    }
    try await changing {
      try await api.store.assignInquiry(
        inquiry.id, to: to, by: context.sender(token).description, at: api.clock.now())
    }
    return JSONResponse.make(.ok, ["inquiry": inquiry.id.rawValue, "assignee": to ?? ""])
  }

  @Sendable func close(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let inquiry = try await visible(context, token)
    let object = try JSONObject.parse(try await request.bodyBytes(upTo: api.maxBodyBytes))
    for key in object.keys where key != "reason" {
      throw Problem.invalid(key, "unknown member; expected reason")
    }
    let reason = (try object.string("reason", required: true) ?? "")
      .trimmingCharacters(in: .whitespacesAndNewlines)
    guard (1...500).contains(reason.count), !reason.contains(where: \.isNewline) else {
      throw Problem.invalid("reason", "give one line of 1 to 500 characters")
    }
    try await changing {
      try await api.store.closeInquiry(
        inquiry.id, reason: reason, by: context.sender(token).description, at: api.clock.now())
    }
    return JSONResponse.make(.ok, ["inquiry": inquiry.id.rawValue, "state": "closed"])
  }

  /// A store refusal (already answered, past retention) as 409 naming the field.
  func changing<T>(_ body: () async throws -> T) async throws -> T {
    do {
      return try await body()
    } catch StoreError.refused(let field, let detail) {
      throw Problem(.conflict, detail, field: field)
    }
  }
}
