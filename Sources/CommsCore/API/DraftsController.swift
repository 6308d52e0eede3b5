import Foundation
import Hummingbird

/// `/v1/drafts`: a message prepared and stored, sent when the team is
/// ready. `POST` takes what `POST /v1/messages` takes and answers 201 with
/// the draft; `PUT /v1/drafts/{id}` replaces its content (with
/// `?revision=N`, only if nobody changed it since: else 409);
/// `POST /v1/drafts/{id}/send` sends it as this token (202, as a message;
/// a second send answers with the same message); `DELETE` discards it.
/// A token sees only drafts within its audiences; the audit names who
/// drafted, edited and sent each.
struct DraftsController: APIController {
  let api: APIEnvironment

  func addRoutes(to router: Router<APIContext>) {
    api.routes("/v1/drafts", on: router, requiring: .reading(.send))
      .get(use: list)
      .get(":id", use: show)
    api.routes("/v1/drafts", on: router, requiring: .writing([.send]))
      .post(use: create)
      .put(":id", use: edit)
      .post(":id/send", use: send)
      .delete(":id", use: discard)
  }

  @Sendable func list(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let all: Bool
    switch request.uri.queryParameters.get("all") {
    case nil, "false": all = false
    case "true": all = true
    case let other?:
      throw Problem.invalid(
        "all", "expected true or false, found \"\(Printable.quoted(String(other.prefix(20))))\"")
    }
    let drafts = try await api.store.drafts(all: all).filter {
      token.covers($0.content.audiences)
    }
    return JSONResponse.make(.ok, drafts)
  }

  @Sendable func show(_ request: Request, _ context: APIContext) async throws -> Response {
    JSONResponse.make(.ok, try await visibleDraft(context, try context.caller()))
  }

  @Sendable func create(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let (content, _) = try await composed(request, context, token)
    let id = try await api.store.createDraft(
      content, by: context.sender(token).description, at: api.clock.now())
    return JSONResponse.make(
      .created, Answer(id: id.rawValue, state: "open", revision: 1),
      headers: [.location: "/v1/drafts/\(id)"])
  }

  @Sendable func edit(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let draft = try await visibleDraft(context, token)
    let expected: Int?
    switch request.uri.queryParameters.get("revision") {
    case nil: expected = nil
    case let text?:
      guard let number = Int(text), number > 0 else {
        throw Problem.invalid("revision", "expected a revision number such as 2")
      }
      expected = number
    }
    let (content, _) = try await composed(request, context, token)
    let revision = try await refusing {
      try await api.store.editDraft(
        draft.id, content, revision: expected, by: context.sender(token).description,
        at: api.clock.now())
    }
    return JSONResponse.make(
      .ok, Answer(id: draft.id.rawValue, state: "open", revision: revision))
  }

  @Sendable func send(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let draft = try await visibleDraft(context, token)
    if draft.state == .sent, let message = draft.messageID { return APIIntake.accepted(message) }
    guard draft.state != .discarded else {
      throw Problem(.conflict, "\(draft.id) was discarded; it cannot be sent", field: "id")
    }
    let sender = context.sender(token)
    let now = api.clock.now()
    let message = draft.content.request(sending: draft.id, sender: sender, now: now)
    try await api.access.requireScope(
      token, audiences: message.audiences, priority: message.priority, request, context)
    let response = try await api.intake.enqueue(message)
    // Accepted (or accepted before, by the draft's own key): it is sent.
    if let id = response.headers[.location].map({ String($0.split(separator: "/").last ?? "") }) {
      try await refusing {
        try await api.store.closeDraft(
          draft.id, as: .sent, message: MessageID(rawValue: id), by: sender.description,
          at: now)
      }
    }
    return response
  }

  @Sendable func discard(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let draft = try await visibleDraft(context, token)
    try await refusing {
      try await api.store.closeDraft(
        draft.id, as: .discarded, by: context.sender(token).description, at: api.clock.now())
    }
    return JSONResponse.make(
      .ok, Answer(id: draft.id.rawValue, state: "discarded", revision: draft.revision))
  }

  /// The body as a draft's content, checked as a send would be (422
  /// naming the field; 403 outside the token's scope).
  private func composed(_ request: Request, _ context: APIContext, _ token: APIToken)
    async throws -> (DraftContent, String)
  {
    let now = api.clock.now()
    let bytes = try await request.bodyBytes(upTo: api.maxBodyBytes)
    let (message, language) = try MessageRequestBody.parse(
      bytes, defaultLanguage: api.defaultLanguage, sender: context.sender(token),
      idempotencyKey: nil, templates: api.templates, now: now)
    try await api.access.requireScope(
      token, audiences: message.audiences, priority: message.priority, request, context)
    do {
      try api.intake.intake.validate(message)
    } catch {
      throw Problem.invalid(
        MessageRequestBody.apiField(
          error.field, language: language, defaultLanguage: api.defaultLanguage), error.message)
    }
    return (DraftContent(message), language)
  }

  /// The draft in the path, if the token may see it (all its audiences in
  /// the token's scope); else 404, as if there were none.
  private func visibleDraft(_ context: APIContext, _ token: APIToken) async throws -> Draft {
    let id = context.parameters.get("id") ?? ""
    guard DraftID.isWellFormed(id), let draft = try await api.store.draft(DraftID(rawValue: id)),
      token.covers(draft.content.audiences)
    else { throw Problem.notFound("there is no draft \(id) this token may see") }
    return draft
  }

  /// A store refusal (closed draft, crossed edit) as 409 naming its field.
  private func refusing<T>(_ body: () async throws -> T) async throws -> T {
    do {
      return try await body()
    } catch StoreError.refused(let field, let detail) {
      throw Problem(.conflict, detail, field: field)
    }
  }

  struct Answer: Encodable {
    var id: String
    var state: String
    var revision: Int
  }
}
