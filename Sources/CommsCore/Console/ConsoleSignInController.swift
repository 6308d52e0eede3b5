import Foundation
import HTTPTypes
import Hummingbird

/// Signing in and out, the language switch and the static files: the
/// console's routes that need no session. The sign-in form carries its own
/// CSRF token, paired with a short-lived cookie (so a form on another
/// site cannot sign someone in as its author); a refusal says only "wrong
/// name or password" (or until when an account is locked) and is audited
/// with its real reason (`SignIn`).
struct ConsoleSignInController: APIController {
  let console: ConsoleEnvironment

  func addRoutes(to router: Router<APIContext>) {
    router.get("/console/static/console.css") { _, _ in
      ConsoleAssets.response(ConsoleAssets.css, type: "text/css; charset=utf-8")
    }
    router.get("/console/static/console.js") { _, _ in
      ConsoleAssets.response(ConsoleAssets.js, type: "text/javascript; charset=utf-8")
    }
    router.get("/console/sign-in", use: show)
    router.post("/console/sign-in", use: signIn)
    router.post("/console/sign-out", use: signOut)
    router.get("/console/language", use: language)
  }

  @Sendable func show(_ request: Request, _ context: APIContext) async throws -> Response {
    let words = ConsoleMiddleware.words(request, console)
    if try await ConsoleMiddleware.session(request, console) != nil {
      return ConsoleResponse.redirect(to: "/console")
    }
    return form(words, next: request.uri.queryParameters.get("next").map { String($0) }, name: "")
  }

  /// The form with a fresh token in the page and its cookie.
  private func form(
    _ words: Words, next: String?, name: String, error: String? = nil,
    status: HTTPResponse.Status = .ok
  ) -> Response {
    let token = ConsoleSession.randomToken()
    return ConsoleResponse.page(
      SignInPage.render(
        words: words, token: token, next: ConsoleResponse.safeNext(next), name: name,
        error: error, oidcLabel: console.settings.oidc?.label),
      status: status,
      cookies: [
        ConsoleResponse.cookie(
          ConsoleResponse.signInCookie, token, maxAge: 3600, sameSite: "Strict")
      ])
  }

  @Sendable func signIn(_ request: Request, _ context: APIContext) async throws -> Response {
    let words = ConsoleMiddleware.words(request, console)
    if let blocked = await console.blocked(request, context) {
      return form(words, next: nil, name: "", error: blocked, status: .tooManyRequests)
    }
    let fields: FormBody
    do {
      fields = try await ConsoleMiddleware.form(request, maxBytes: 16 * 1024, words: words)
    } catch let problem as Problem {
      return ConsoleResponse.page(
        ConsoleFrame.problem(
          words("Det gik ikke", "That did not work"), problem.detail, words: words, caller: nil),
        status: problem.status)
    }
    let name = (fields["name"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
    let next = fields["next"]
    let cookie = request.cookies[ConsoleResponse.signInCookie]?.value ?? ""
    guard let token = fields["csrf"], !cookie.isEmpty, ConsoleSession.sameToken(token, cookie)
    else {
      return form(
        words, next: next, name: String(name.prefix(64)),
        error: words(
          "Siden var for gammel. Prøv igen.", "The page was too old. Please try again."),
        status: .forbidden)
    }
    let now = console.api.clock.now()
    let outcome = try await SignIn.attempt(
      name, password: fields["password"] ?? "", store: console.store, at: now,
      origin: context.remoteAddress)
    switch outcome {
    case .refused(let reason, let until):
      if reason == .wrongPassword || reason == .unknown {
        // Counted against the address like a wrong API token, and slowed.
        await console.failedAuthentication(context)
      }
      let message =
        if let until, reason == .locked || reason == .wrongPassword {
          words(
            "For mange forkerte forsøg. Kontoen er låst til \(ReportText.time(until)).",
            "Too many wrong attempts. The account is locked until \(ReportText.time(until)).")
        } else {
          words("Forkert navn eller adgangskode.", "Wrong name or password.")
        }
      return form(
        words, next: next, name: ConsoleAccount.isName(name) ? name : "", error: message,
        status: .unauthorized)
    case .signedIn(let person, let displayName):
      let session = console.newSession(
        person: person, displayName: displayName, via: .local, context)
      guard console.operators.scope(of: session) != nil else {
        await console.api.access.audit(
          Problem(.forbidden, "no [[operators]] entry names the account"), request, context,
          actor: session.sender(from: context.remoteAddress))
        return form(
          words, next: next, name: name,
          error: words(
            "Du har en konto, men ingen rettigheder i konsollen. Kontakt den, der driver commsd.",
            "You have an account but no rights in the console. Ask whoever runs commsd."),
          status: .forbidden)
      }
      return try await console.begin(session, next: next)
    }
  }

  @Sendable func signOut(_ request: Request, _ context: APIContext) async throws -> Response {
    let words = ConsoleMiddleware.words(request, console)
    if let (session, hash) = try await ConsoleMiddleware.session(request, console) {
      let fields = try? await ConsoleMiddleware.form(request, maxBytes: 16 * 1024, words: words)
      // Only the console's own button signs out (no cross-site sign-out).
      if let token = fields?["csrf"], ConsoleSession.sameToken(token, session.csrf) {
        try await console.store.endConsoleSession(
          tokenHash: hash, actor: session.sender(from: context.remoteAddress),
          at: console.api.clock.now())
      } else {
        return ConsoleResponse.redirect(to: "/console")
      }
    }
    return ConsoleResponse.redirect(
      to: "/console/sign-in", cookies: [ConsoleResponse.clear(ConsoleResponse.sessionCookie)])
  }

  @Sendable func language(_ request: Request, _ context: APIContext) async throws -> Response {
    let to = request.uri.queryParameters.get("to") == "da" ? "da" : "en"
    return ConsoleResponse.redirect(
      to: ConsoleResponse.safeNext(request.uri.queryParameters.get("next").map { String($0) }),
      cookies: [
        ConsoleResponse.cookie(
          ConsoleResponse.languageCookie, to, maxAge: 365 * 86_400, httpOnly: false)
      ])
  }
}
