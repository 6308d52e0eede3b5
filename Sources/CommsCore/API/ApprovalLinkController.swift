import Foundation
import HTTPTypes
import Hummingbird

/// `GET` and `POST /a/{token}`: the page behind the link in an approver's
/// notice (`ConfirmLinks.approvalURL`). No login: the link is the
/// credential of one approver for one message. GET only shows the message
/// and the buttons, so a link scanner decides nothing; the POST
/// (`decision=approve`, or `decision=reject&reason=…`) decides, once per
/// approver (`Store.decide`). A link commsd did not make is 401 (audited
/// and counted against the address); an expired one or one of a withdrawn
/// message 410; nothing left to decide 409; a refused decision (the
/// sender's own approval) 403. Every answer is a page a person can read.
struct ApprovalLinkController: APIController {
  let api: APIEnvironment
  let links: ConfirmLinks
  let linkValid: Duration
  /// Audiences as readers know them (`display_name`).
  let displayNames: [String: String]

  func addRoutes(to router: Router<APIContext>) {
    router.get("/a/:token", use: show)
    router.post("/a/:token", use: decide)
  }

  @Sendable func show(_ request: Request, _ context: APIContext) async throws -> Response {
    try await answer(request, context, deciding: false)
  }

  @Sendable func decide(_ request: Request, _ context: APIContext) async throws -> Response {
    try await answer(request, context, deciding: true)
  }

  private func answer(_ request: Request, _ context: APIContext, deciding: Bool) async throws
    -> Response
  {
    try await api.access.refuseIfBlocked(request, context)
    let token = context.parameters.get("token") ?? ""
    let now = api.clock.now()
    guard let delivery = links.delivery(fromApprovalToken: token),
      let page = try await api.store.approvalPage(of: delivery)
    else {
      _ = await api.access.refuse(
        Problem(.unauthorized, "not a valid approval link"), request, context, actor: nil)
      return html(.unauthorized, .invalid, nil, api.defaultLanguage)
    }
    let language = page.language
    if page.cancelled || page.records.allSatisfy({ $0.state == .withdrawn }) {
      return html(.gone, .withdrawn, nil, language)
    }
    if now > page.askedAt.addingTimeInterval(linkValid.seconds) {
      return html(.gone, .expired, nil, language)
    }
    guard !page.open.isEmpty else {
      return html(.conflict, .closed(summary: page.records.map(\.summary)), nil, language)
    }
    guard deciding else { return html(.ok, .ask, page, language) }
    let fields = FormDecoding.decode(try await request.bodyBytes(upTo: 8 * 1024)) ?? []
    let value = { (name: String) in fields.first { $0.0 == name }?.1 }
    guard let verdict = value("decision").flatMap(ApprovalDecision.Verdict.init(rawValue:)) else {
      return html(.badRequest, .refused("decision: expected approve or reject"), nil, language)
    }
    let reason: String?
    do {
      reason = try ApprovalDecision.checkedReason(value("reason"), required: verdict == .reject)
    } catch {
      return html(.badRequest, .refused("\(error.field): \(error.message)"), nil, language)
    }
    let decision = ApprovalDecision(
      messageID: page.message.id, verdict: verdict, decider: .recipient(page.approver),
      via: request.uri.queryParameters.get("via") == "teams" ? "teams" : "link", reason: reason,
      at: now)
    do {
      let outcome = try await api.store.decide(decision)
      api.planBell.ring()  // an approved audience is planned at once
      if let counted = outcome.decided.first(where: { $0.state == .pending }) {
        return html(
          .ok, .counted(votes: counted.votes, required: counted.required), nil, language)
      }
      return html(
        .ok, .decided(verdict, audiences: outcome.decided.map(\.audience)), nil, language)
    } catch StoreError.refused(_, let message) {
      try? await api.store.appendAudit([
        ApprovalAudit.refused(decision, message: message)
      ])
      return html(.forbidden, .refused(message), nil, language)
    }
  }

  private func html(
    _ status: HTTPResponse.Status, _ kind: ApprovalPageHTML.Kind, _ page: ApprovalPage?,
    _ language: String
  ) -> Response {
    HTMLPage.response(
      status,
      ApprovalPageHTML.render(kind, page: page, language: language, displayNames: displayNames))
  }
}
