import Foundation
import HTTPTypes
import Hummingbird

/// `POST /v1/hooks/{source}`: an event from a configured source, signed with
/// the Standard Webhooks scheme, becomes a message through the source's
/// templates and audiences.
///
/// Checked in order: the three headers are there, the timestamp is within 5
/// minutes of now, a `v1` signature matches (401 for any of these), the body
/// is a JSON object (400). A source that is not configured is checked the
/// same way against a random key, so it fails exactly like a forged
/// signature, with the same answer after the same work: the names of
/// sources cannot be found by trying. The
/// `webhook-id` becomes the message's idempotency key: a replayed id is
/// refused (409) and nothing is sent twice. Every refusal is audited.
///
/// No bearer token here: the signature is the source's credential.
struct HooksController: APIController {
  let api: APIEnvironment

  func addRoutes(to router: Router<APIContext>) {
    router.post("/v1/hooks/:source", use: postHook)
  }

  static let hookTolerance: TimeInterval = 300
  /// The key an unknown source's signatures are checked against: random,
  /// made once per process, never told to anyone.
  static let decoyKey: [UInt8] = {
    var generator = SystemRandomNumberGenerator()
    return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
  }()

  @Sendable func postHook(_ request: Request, _ context: APIContext) async throws -> Response {
    let name = context.parameters.get("source") ?? ""
    let source = api.access.hooks[name]
    try await api.access.refuseIfBlocked(request, context)
    let bytes = try await request.bodyBytes(upTo: api.maxBodyBytes)
    func header(_ field: String) -> String? { request.headers[HTTPField.Name(field)!] }
    guard let id = header("webhook-id"), let timestampText = header("webhook-timestamp"),
      let signatures = header("webhook-signature")
    else {
      throw await refuseHook(
        "webhook-id, webhook-timestamp and webhook-signature are required", name, request, context)
    }
    guard let timestamp = Int(timestampText),
      abs(TimeInterval(timestamp) - api.clock.now().timeIntervalSince1970) <= Self.hookTolerance
    else {
      throw await refuseHook(
        "webhook-timestamp is not within 5 minutes of now (stale or replayed)", name, request,
        context)
    }
    let expected = Array(
      WebhookSigner.signature(
        id: id, timestamp: timestamp, body: bytes, key: source?.hook.key ?? Self.decoyKey
      ).utf8)
    let matches = signatures.split(separator: " ").contains { candidate in
      TokenCheck.constantTimeEqual(Array(candidate.utf8), expected)
    }
    guard matches, let source else {
      throw await refuseHook(
        "no webhook-signature matches (forged or wrong secret)", name, request, context)
    }
    let key = try APIIntake.checkedKey(id, stored: "hook:\(name):\(id)", field: "webhook-id")
    let payload = try JSONObject.parse(bytes)
    if source.hook.inquiries {
      return try await postInquiry(payload, id: id, source: name, request, context)
    }
    let message = SendRequest(
      audiences: source.hook.audiences, priority: source.hook.priority, kind: source.hook.kind,
      contents: [
        api.defaultLanguage: MessageContent(
          subject: source.subject.render(payload.members), body: source.body.render(payload.members)
        )
      ], idempotencyKey: key,
      sender: Sender(kind: .api, name: "hook:\(name)", origin: context.remoteAddress))
    switch await api.intake.accept(message) {
    case .accepted(let id, let warnings, let awaiting):
      return APIIntake.accepted(id, warnings: warnings, awaitingApproval: awaiting)
    case .duplicate, .conflict:
      throw await api.access.refuse(
        Problem(.conflict, "webhook-id \(id) was received before (replayed)", field: "webhook-id"),
        request, context, actor: nil)
    case .refused(let field, let detail):
      // The source's payload rendered into something intake refuses (an
      // empty subject, say): the payload is what is wrong.
      throw Problem.invalid(
        field == "subject" || field == "body" ? "payload" : field,
        "the source's template gave \(field): \(detail)")
    case .failed(let detail):
      throw api.intake.storeFailed(detail)
    case .received:
      throw api.intake.storeFailed("a message was taken as a reply")
    }
  }

  /// A question from another system (a source with `inquiries = true`):
  /// `{"text": …, "from": …, "recipient": …, "name": …, "delivery_id": …}`,
  /// `text` and one of `from` (an address or number) and `recipient` (a
  /// recipient id) required. It becomes an inquiry like a reply by SMS or
  /// email; a replayed `webhook-id` is 409 and changes nothing.
  func postInquiry(
    _ payload: JSONObject, id: String, source: String, _ request: Request, _ context: APIContext
  ) async throws -> Response {
    let members = ["text", "from", "recipient", "name", "delivery_id"]
    for key in payload.keys where !members.contains(key) {
      throw Problem.invalid(key, "unknown member; expected \(members.joined(separator: ", "))")
    }
    let text = (try payload.string("text", required: true) ?? "")
      .trimmingCharacters(in: .whitespacesAndNewlines)
    guard (1...IncomingReply.maxText).contains(text.count) else {
      throw Problem.invalid("text", "give 1 to \(IncomingReply.maxText) characters")
    }
    let from = try payload.string("from").map { Printable.line($0, max: 254) }
    let recipient = try payload.string("recipient")
    if let recipient, !(1...100).contains(recipient.count) {
      throw Problem.invalid("recipient", "expected a recipient id of 1 to 100 characters")
    }
    guard from?.isEmpty == false || recipient != nil else {
      throw Problem.invalid("from", "give from (an address or number) or recipient (an id)")
    }
    var tag: DeliveryID?
    if let delivery = try payload.string("delivery_id") {
      guard DeliveryID.isWellFormed(delivery) else {
        throw Problem.invalid("delivery_id", "expected a delivery id (dlv_…)")
      }
      tag = DeliveryID(rawValue: delivery)
    }
    let outcome = try await api.intake.intake.receive(
      IncomingReply(
        channel: .hook, source: source, from: from ?? "recipient:\(recipient ?? "")",
        fromName: try payload.string("name").map { Printable.line($0, max: 200) }, text: text,
        reference: id, tag: tag, recipientID: recipient))
    guard case .inquiry(let inquiry, let match, let duplicate) = outcome else {
      throw Problem.invalid("text", "was not taken as a question")
    }
    if duplicate {
      throw await api.access.refuse(
        Problem(.conflict, "webhook-id \(id) was received before (replayed)", field: "webhook-id"),
        request, context, actor: nil)
    }
    return JSONResponse.make(
      .accepted, ["inquiry": inquiry.rawValue, "match": match.rawValue, "outcome": "inquiry"])
  }

  private func refuseHook(
    _ detail: String, _ source: String, _ request: Request, _ context: APIContext
  ) async -> Problem {
    var problem = Problem(.unauthorized, detail)
    problem.headers["WWW-Authenticate"] = "Signature realm=\"commsd hook \(source)\""
    return await api.access.refuse(problem, request, context, actor: nil)
  }
}
