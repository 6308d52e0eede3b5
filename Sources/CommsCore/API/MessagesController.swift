import Foundation
import HTTPTypes
import Hummingbird

/// `/v1/messages`: enqueue, follow, cancel and supersede.
extension APIServer {
  func postMessage(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try await authenticate(request, context)
    try await requireWrite(token, request, context)
    let (message, language) = try MessageRequestBody.parse(
      try await body(request), defaultLanguage: configuration.defaultLanguage,
      sender: sender(token, context), idempotencyKey: try idempotencyKey(request, token))
    try await requireScope(
      token, audiences: message.audiences, priority: message.priority, request, context)
    return try await enqueue(message, language: language)
  }

  func supersede(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try await authenticate(request, context)
    try await requireWrite(token, request, context)
    let old = try await visibleMessage(request, context, token)
    var (message, language) = try MessageRequestBody.parse(
      try await body(request), defaultLanguage: configuration.defaultLanguage,
      sender: sender(token, context), idempotencyKey: try idempotencyKey(request, token))
    message.supersedes = MessageID(rawValue: old.id)
    try await requireScope(
      token, audiences: message.audiences + old.audiences, priority: message.priority, request,
      context)
    return try await enqueue(message, language: language)
  }

  /// Intake as for `commsd send`; 202 once durable, the same answer for a
  /// repeated idempotency key with the same body, 409 with another body.
  func enqueue(_ message: SendRequest, language: String? = nil) async throws -> Response {
    switch await intake.accept(message) {
    case .accepted(let id), .duplicate(let id):
      return Self.accepted(id)
    case .refused(let field, let detail):
      let defaultLanguage = configuration.defaultLanguage
      throw Problem.invalid(
        MessageRequestBody.apiField(
          field, language: language ?? defaultLanguage, defaultLanguage: defaultLanguage), detail)
    case .conflict:
      throw Problem(
        .conflict, "this Idempotency-Key was used before for a message with other content",
        field: "Idempotency-Key")
    case .failed(let detail):
      throw storeFailed(detail)
    }
  }

  /// 202 with the message's id and links.
  static func accepted(_ id: MessageID) -> Response {
    JSONResponse.make(
      .accepted,
      Accepted(
        id: id.rawValue, status: "accepted",
        links: Links(message: "/v1/messages/\(id)", deliveries: "/v1/messages/\(id)/deliveries")),
      headers: [.location: "/v1/messages/\(id)"])
  }

  /// 503 for a store that did not take a message: logged in full, told
  /// in general (the store's error is not the client's business).
  func storeFailed(_ detail: String) -> Problem {
    logger.error("the store did not take a message", metadata: ["error": "\(detail)"])
    var problem = Problem(.serviceUnavailable, "the message could not be stored; try again")
    problem.headers["Retry-After"] = "5"
    return problem
  }

  struct Accepted: Encodable {
    var id: String
    var status: String
    var links: Links
  }

  struct Links: Encodable {
    var message: String
    var deliveries: String
  }

  /// `Idempotency-Key`, kept apart per token: two integrators choosing the
  /// same key never see each other's messages.
  func idempotencyKey(_ request: Request, _ token: APIToken) throws -> String? {
    guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
    let stored = "api:\(token.name):\(key)"
    guard !key.isEmpty, stored.utf8.count <= Intake.maxIdempotencyKeyLength,
      key.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
    else {
      throw Problem.invalid(
        "Idempotency-Key",
        "give 1 to \(Intake.maxIdempotencyKeyLength - stored.utf8.count + key.utf8.count) visible ASCII characters, e.g. a UUID"
      )
    }
    return stored
  }

  /// The message named in the path, if the token may see it: every one of
  /// its audiences in the token's scope. Otherwise 404, as if it did not exist.
  func visibleMessage(_ request: Request, _ context: APIContext, _ token: APIToken) async throws
    -> MessageStatus
  {
    let id = context.parameters.get("id") ?? ""
    guard MessageID.isWellFormed(id),
      let status = try await store.status(of: MessageID(rawValue: id)),
      token.covers(status.audiences)
    else { throw Problem.notFound("there is no message \(id) this token may see") }
    return status
  }

  func getMessage(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try await authenticate(request, context)
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

  func getDeliveries(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try await authenticate(request, context)
    let status = try await visibleMessage(request, context, token)
    let limit = try Self.limit(request)
    let after = request.uri.queryParameters.get("after")
    let page = try await store.deliveryPage(
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

  /// `limit` from the query: 1 to 1000, 100 when not given.
  static func limit(_ request: Request) throws -> Int {
    guard let text = request.uri.queryParameters.get("limit") else { return 100 }
    guard let limit = Int(text), (1...1000).contains(limit) else {
      throw Problem.invalid("limit", "expected a whole number from 1 to 1000")
    }
    return limit
  }

  func cancel(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try await authenticate(request, context)
    try await requireWrite(token, request, context)
    let status = try await visibleMessage(request, context, token)
    let object = try JSONObject.parse(try await body(request))
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
        actor: sender(token, context), store: store, at: clock.now())
    } catch StoreError.refused(let field, let detail) {
      throw Problem(.conflict, detail, field: field)
    }
    planBell.ring()  // the retraction, if any, is planned at once
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
