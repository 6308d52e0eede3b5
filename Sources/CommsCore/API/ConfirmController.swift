import Foundation
import HTTPTypes
import Hummingbird

/// `GET` and `POST /c/{token}`: the confirmation page behind the link in a
/// message (`ConfirmLinks`). No login: the link is the credential for one
/// delivery. GET only shows the message and a button, so a link scanner
/// or a chat preview confirms nothing; the button's POST confirms, once
/// per person (`Store.confirm`). A link that is not one commsd made is 401
/// (audited, and counted against the address like a wrong token); an
/// expired one or one of a withdrawn message 410; a second use 409 with
/// when it was confirmed. Every answer is a page a person can read.
struct ConfirmController: APIController {
  let api: APIEnvironment
  let links: ConfirmLinks
  /// How long after acceptance a link opens the page (`[confirm] link_valid`).
  let linkValid: Duration

  func addRoutes(to router: Router<APIContext>) {
    router.get("/c/:token", use: show)
    router.post("/c/:token", use: confirm)
  }

  @Sendable func show(_ request: Request, _ context: APIContext) async throws -> Response {
    try await answer(request, context, confirming: false)
  }

  @Sendable func confirm(_ request: Request, _ context: APIContext) async throws -> Response {
    try await answer(request, context, confirming: true)
  }

  private func answer(_ request: Request, _ context: APIContext, confirming: Bool) async throws
    -> Response
  {
    try await api.access.refuseIfBlocked(request, context)
    let token = context.parameters.get("token") ?? ""
    let delivery = links.delivery(fromToken: token)
    var page: ConfirmationPage?
    if let delivery { page = try await api.store.confirmationPage(of: delivery) }
    let now = api.clock.now()
    let open: ConfirmationPage
    switch Self.verdict(page, now: now, linkValid: linkValid) {
    case .invalid:
      _ = await api.access.refuse(
        Problem(.unauthorized, "not a valid confirmation link"), request, context, actor: nil)
      return html(.unauthorized, .invalid, nil, api.defaultLanguage)
    case .cancelled(let language): return html(.gone, .cancelled, nil, language)
    case .already(let at, let page): return html(.conflict, .already(at: at), page, page.language)
    case .expired(let language): return html(.gone, .expired, nil, language)
    case .open(let page): open = page
    }
    guard let delivery, confirming else { return html(.ok, .ask, open, open.language) }
    // A Teams card's button opens the page with ?via=teams (the token is
    // the credential; the mark only names the way in the figures).
    let way: Confirmation.Way =
      request.uri.queryParameters.get("via") == "teams" ? .teams : .link
    let outcome = try await api.store.confirm(
      Confirmation(deliveryID: delivery, way: way, at: now, actor: way.rawValue))
    switch outcome {
    case .confirmed(let late):
      return html(.ok, .confirmed(at: now, late: late), open, open.language)
    case .repeated(let at): return html(.conflict, .already(at: at), open, open.language)
    case .cancelled: return html(.gone, .cancelled, nil, open.language)
    case .notAsked, .unknownDelivery: return html(.unauthorized, .invalid, nil, open.language)
    }
  }

  /// What a link's page says, before any button is pressed.
  enum Verdict: Equatable {
    case invalid
    case cancelled(language: String)
    case already(at: Date, page: ConfirmationPage)
    case expired(language: String)
    case open(ConfirmationPage)
  }

  /// The verdict on a link whose delivery's page is `page` (nil: no such
  /// delivery, or the token was not ours), opened `now`: withdrawn first,
  /// then used, then expired (`linkValid` after acceptance).
  static func verdict(_ page: ConfirmationPage?, now: Date, linkValid: Duration) -> Verdict {
    guard let page, page.deadline != nil else { return .invalid }
    if page.cancelled { return .cancelled(language: page.language) }
    if let at = page.confirmedAt { return .already(at: at, page: page) }
    if now > page.acceptedAt.addingTimeInterval(linkValid.seconds) {
      return .expired(language: page.language)
    }
    return .open(page)
  }

  private func html(
    _ status: HTTPResponse.Status, _ kind: ConfirmPageHTML.Kind, _ page: ConfirmationPage?,
    _ language: String
  ) -> Response {
    HTMLPage.response(status, ConfirmPageHTML.render(kind, page: page, language: language))
  }
}

/// A page for a person (the confirmation and approval pages): no caching,
/// nothing framed or fetched, no referrer.
enum HTMLPage {
  static func response(_ status: HTTPResponse.Status, _ body: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "text/html; charset=utf-8"
    headers[.cacheControl] = "no-store"
    headers[HTTPField.Name("Content-Security-Policy")!] =
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
    return Response(
      status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
  }
}
