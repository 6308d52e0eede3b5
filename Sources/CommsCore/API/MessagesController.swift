import Foundation
import HTTPTypes
import Hummingbird

/// `/v1/messages`: enqueue, follow, cancel and supersede. Every route takes
/// a token (`TokenMiddleware`); those that change something a writing one.
struct MessagesController: APIController {
  let api: APIEnvironment

  func addRoutes(to router: Router<APIContext>) {
    api.routes("/v1/messages", on: router, requiring: .read)
      .get(":id", use: getMessage)
      .get(":id/deliveries", use: getDeliveries)
    api.routes("/v1/messages", on: router, requiring: .writing([.send]))
      .post(use: postMessage)
    api.routes("/v1/messages", on: router, requiring: .writing([.cancel]))
      .post(":id/cancel", use: cancel)
    api.routes("/v1/messages", on: router, requiring: .writing([.send, .cancel]))
      .post(":id/supersede", use: supersede)
  }

  @Sendable func postMessage(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let (message, language) = try MessageRequestBody.parse(
      try await request.bodyBytes(upTo: api.maxBodyBytes), defaultLanguage: api.defaultLanguage,
      sender: context.sender(token), idempotencyKey: try idempotencyKey(request, token),
      templates: api.templates, now: api.clock.now())
    try await api.access.requireScope(
      token, audiences: message.audiences, priority: message.priority, request, context)
    switch request.uri.queryParameters.get("dry_run") {
    case nil, "false": return try await api.intake.enqueue(message, language: language)
    case "true": return try await api.intake.dryRun(message, language: language)
    case let other?:
      throw Problem.invalid("dry_run", "expected true or false, found \"\(other.prefix(20))\"")
    }
  }

  @Sendable func supersede(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let old = try await visibleMessage(request, context, token)
    var (message, language) = try MessageRequestBody.parse(
      try await request.bodyBytes(upTo: api.maxBodyBytes), defaultLanguage: api.defaultLanguage,
      sender: context.sender(token), idempotencyKey: try idempotencyKey(request, token),
      templates: api.templates, now: api.clock.now())
    message.supersedes = MessageID(rawValue: old.id)
    try await api.access.requireScope(
      token, audiences: message.audiences + old.audiences, priority: message.priority, request,
      context)
    return try await api.intake.enqueue(message, language: language)
  }

  /// `Idempotency-Key`, kept apart per token: two integrators choosing the
  /// same key never see each other's messages.
  func idempotencyKey(_ request: Request, _ token: APIToken) throws -> String? {
    guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
    return try APIIntake.checkedKey(
      key, stored: "api:\(token.name):\(key)", field: "Idempotency-Key", example: ", e.g. a UUID")
  }

  /// The message named in the path, if the token may see it: every one of
  /// its audiences in the token's scope. Otherwise 404, as if it did not exist.
  func visibleMessage(_ request: Request, _ context: APIContext, _ token: APIToken) async throws
    -> MessageStatus
  {
    let id = context.parameters.get("id") ?? ""
    guard MessageID.isWellFormed(id),
      let status = try await api.store.status(of: MessageID(rawValue: id)),
      token.covers(status.audiences)
    else { throw Problem.notFound("there is no message \(id) this token may see") }
    return status
  }

  @Sendable func getMessage(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    var status = try await visibleMessage(request, context, token)
    status.deliveries = []
    var object =
      (try JSONSerialization.jsonObject(with: JSONCoding.encoder().encode(status))
        as? [String: Any]) ?? [:]
    object["deliveries"] = nil
    object["links"] = ["deliveries": "/v1/messages/\(status.id)/deliveries"]
    let data = try JSONSerialization.data(
      withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return JSONResponse.make(.ok, bytes: Array(data))
  }

  @Sendable func getDeliveries(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let status = try await visibleMessage(request, context, token)
    let limit = try request.pageLimit()
    let after = request.uri.queryParameters.get("after")
    let page = try await api.store.deliveryPage(
      of: MessageID(rawValue: status.id), after: after, limit: limit)
    let next =
      page.count == limit
      ? "/v1/messages/\(status.id)/deliveries?after=\(page.last!.id)&limit=\(limit)" : nil
    return JSONResponse.make(.ok, DeliveryPage(deliveries: page, next: next))
  }

  struct DeliveryPage: Encodable {
    var deliveries: [MessageStatus.DeliveryLine]
    var next: String?

    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(deliveries, forKey: .deliveries)
      try container.encode(next, forKey: .next)  // null on the last page
    }

    enum CodingKeys: String, CodingKey { case deliveries, next }
  }

  @Sendable func cancel(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let status = try await visibleMessage(request, context, token)
    let object = try JSONObject.parse(try await request.bodyBytes(upTo: api.maxBodyBytes))
    for key in object.keys where key != "reason" && key != "notify" {
      throw Problem.invalid(key, "unknown member; expected reason and notify")
    }
    let reason: String
    do {
      reason = try Cancellation.checkedReason(try object.string("reason", required: true) ?? "")
    } catch let error as IntakeError {
      throw Problem.invalid(error.field, error.message)
    }
    let notify = try object.bool("notify") ?? false
    let outcome: CancelOutcome
    do {
      outcome = try await Cancellation.carryOut(
        MessageID(rawValue: status.id), reason: reason, notify: notify,
        actor: context.sender(token), store: api.store, at: api.clock.now())
    } catch StoreError.refused(let field, let detail) {
      throw Problem(.conflict, detail, field: field)
    }
    api.planBell.ring()  // the retraction, if any, is planned at once
    return JSONResponse.make(
      .ok,
      CancelAnswer(
        id: status.id, withdrawn: outcome.withdrawn, inFlight: outcome.inFlight,
        retraction: outcome.retraction?.rawValue, notified: outcome.notified))
  }

  struct CancelAnswer: Encodable {
    var id: String
    var withdrawn: Int
    var inFlight: Int
    var retraction: String?
    var notified: Int

    enum CodingKeys: String, CodingKey {
      case id, withdrawn, retraction, notified
      case inFlight = "in_flight"
    }
  }
}
