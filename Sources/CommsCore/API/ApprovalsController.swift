import Foundation
import Hummingbird

/// `POST /v1/messages/{id}/approve` and `/reject`: a decision by a token
/// with the `approve` right, for the audiences it covers (or where an
/// approver's `operator` attribute names the token). Body: `{"audience",
/// "reason"}`, both optional on approve, `reason` required on reject.
/// The sender's own approval (`not_sender`) and a decider who is not an
/// approver are 403, audited `approval.refused`; a message not waiting
/// 409; one the token may not see 404.
struct ApprovalsController: APIController {
  let api: APIEnvironment

  func addRoutes(to router: Router<APIContext>) {
    api.routes("/v1/messages", on: router, requiring: .writing([.approve]))
      .post(":id/approve", use: approve)
      .post(":id/reject", use: reject)
  }

  @Sendable func approve(_ request: Request, _ context: APIContext) async throws -> Response {
    try await decide(.approve, request, context)
  }

  @Sendable func reject(_ request: Request, _ context: APIContext) async throws -> Response {
    try await decide(.reject, request, context)
  }

  private func decide(
    _ verdict: ApprovalDecision.Verdict, _ request: Request, _ context: APIContext
  ) async throws -> Response {
    let token = try context.caller()
    let id = context.parameters.get("id") ?? ""
    guard MessageID.isWellFormed(id),
      let status = try await api.store.status(of: MessageID(rawValue: id)),
      !token.audiences.isDisjoint(with: status.audiences)
    else { throw Problem.notFound("there is no message \(id) this token may see") }
    let object = try JSONObject.parse(try await request.bodyBytes(upTo: api.maxBodyBytes))
    for key in object.keys where key != "reason" && key != "audience" {
      throw Problem.invalid(key, "unknown member; expected audience and reason")
    }
    let reason: String?
    let audience = try object.string("audience")
    let reasonText = try object.string("reason")
    do {
      reason = try ApprovalDecision.checkedReason(reasonText, required: verdict == .reject)
    } catch {
      throw Problem.invalid(error.field, error.message)
    }
    let audiences = token.audiences
    let decision = ApprovalDecision(
      messageID: MessageID(rawValue: id), verdict: verdict,
      decider: .operatorName(token.name, mayApprove: { audiences.contains($0) }), via: "api",
      audience: audience, reason: reason, at: api.clock.now())
    do {
      let outcome = try await api.store.decide(decision)
      api.planBell.ring()
      return JSONResponse.make(.ok, DecisionAnswer(outcome))
    } catch StoreError.refused(let field, let detail) {
      try? await api.store.appendAudit([ApprovalAudit.refused(decision, message: detail)])
      throw Problem(field == "approver" ? .forbidden : .conflict, detail, field: field)
    }
  }

  struct DecisionAnswer: Encodable {
    struct Decided: Encodable {
      var audience: String
      var state: String
      var votes: Int
      var required: Int
      var waitedSeconds: Int64

      enum CodingKeys: String, CodingKey {
        case audience, state, votes, required
        case waitedSeconds = "waited_seconds"
      }
    }

    var id: String
    var decided: [Decided]

    init(_ outcome: ApprovalOutcome) {
      id = outcome.messageID.rawValue
      decided = outcome.decided.map {
        Decided(
          audience: $0.audience, state: $0.state.rawValue, votes: $0.votes,
          required: $0.required,
          waitedSeconds: Duration.wholeSeconds($0.waited).components.seconds)
      }
    }
  }
}
