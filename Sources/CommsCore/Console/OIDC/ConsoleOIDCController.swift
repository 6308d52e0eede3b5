import Foundation
import HTTPTypes
import Hummingbird

/// Signing in through the identity provider: `/console/oidc/start` sends
/// the browser to the provider with a fresh state, nonce and PKCE verifier
/// (kept in a short-lived `__Host-` cookie, `Lax` so it comes back with the
/// provider's redirect); `/console/oidc/callback` checks the state, trades
/// the code for the ID token (checked by `IDToken`), and starts a session
/// for the person the token names, if an `[[operators]] idp_group` names
/// one of their groups. Every outcome is audited (`account.signed_in`,
/// `account.sign_in_refused` with the reason).
struct ConsoleOIDCController: APIController {
  let console: ConsoleEnvironment
  let provider: OIDCProvider

  func addRoutes(to router: Router<APIContext>) {
    router.get("/console/oidc/start", use: start)
    router.get("/console/oidc/callback", use: callback)
  }

  @Sendable func start(_ request: Request, _ context: APIContext) async throws -> Response {
    let words = ConsoleMiddleware.words(request, console)
    let state = ConsoleSession.randomToken()
    let nonce = ConsoleSession.randomToken()
    let verifier = ConsoleSession.randomToken()
    let next = ConsoleResponse.safeNext(request.uri.queryParameters.get("next").map { String($0) })
    let url: String
    do {
      url = try await provider.authorizationURL(
        state: state, nonce: nonce, verifier: verifier, now: console.api.clock.now())
    } catch {
      console.intake.logger.error("identity provider", metadata: ["error": "\(error)"])
      return refused(
        words,
        words(
          "Kommunens login svarer ikke. Prøv igen om lidt.",
          "The identity provider does not answer. Try again in a moment."), status: .badGateway)
    }
    var headers = ConsoleResponse.headers()
    headers[.location] = url
    headers.append(
      HTTPField(
        name: .setCookie,
        value: ConsoleResponse.cookie(
          ConsoleResponse.signInCookie,
          ["oidc", state, nonce, verifier, ConsoleSession.base64url(Array(next.utf8))].joined(
            separator: "."),
          maxAge: 600)))
    return Response(status: .seeOther, headers: headers)
  }

  @Sendable func callback(_ request: Request, _ context: APIContext) async throws -> Response {
    let words = ConsoleMiddleware.words(request, console)
    if let blocked = await console.blocked(request, context) {
      return refused(words, blocked, status: .tooManyRequests)
    }
    let query = request.uri.queryParameters
    let now = console.api.clock.now()
    let parts = (request.cookies[ConsoleResponse.signInCookie]?.value ?? "").split(
      separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 5, parts[0] == "oidc",
      let state = query.get("state"), ConsoleSession.sameToken(String(state), String(parts[1]))
    else {
      // Counted against the address: a flood of made-up callbacks is
      // slowed and then refused before it reaches the audit log.
      await console.failedAuthentication(context)
      try await audit(refusal: "state does not match this browser's sign-in", context, now)
      return refused(
        words,
        words(
          "Login-forsøget var for gammelt eller kom fra en anden browser. Prøv igen.",
          "The sign-in was too old or came from another browser. Try again."), status: .forbidden)
    }
    let nonce = String(parts[2])
    let verifier = String(parts[3])
    let next = IDToken.base64url(parts[4]).flatMap { String(validating: $0, as: UTF8.self) }
    if let error = query.get("error") {
      try await audit(refusal: "the provider said \(error.prefix(100))", context, now)
      return refused(
        words,
        words("Kommunens login afviste: ", "The identity provider refused: ")
          + String(error.prefix(100)), status: .forbidden)
    }
    guard let code = query.get("code"), (1...2048).contains(code.utf8.count) else {
      try await audit(refusal: "no code", context, now)
      return refused(
        words, words("Kommunens login sendte ingen kode.", "The identity provider sent no code."),
        status: .badRequest)
    }
    let token: IDToken
    do {
      token = try await provider.signIn(
        code: String(code), verifier: verifier, nonce: nonce, now: now)
    } catch {
      // Counted against the address, as a wrong password is.
      await console.failedAuthentication(context)
      try await audit(refusal: error.description, context, now)
      return refused(
        words,
        words("Login kunne ikke bekræftes: ", "The sign-in could not be verified: ")
          + error.description, status: .forbidden)
    }
    let settings = provider.settings
    guard let person = token.text(settings.nameClaim).map(Self.oneLine), !person.isEmpty else {
      try await audit(refusal: "the ID token has no \(settings.nameClaim)", context, now)
      return refused(
        words,
        words(
          "Kommunens login oplyste ikke dit navn (\(settings.nameClaim)).",
          "The identity provider did not give your name (\(settings.nameClaim))."),
        status: .forbidden)
    }
    let groups = Array(
      token.list(settings.groupsClaim).map(Self.oneLine).filter { !$0.isEmpty }.prefix(200))
    let session = console.newSession(
      person: person,
      displayName: token.text(settings.displayNameClaim).map(Self.oneLine) ?? person, via: .oidc,
      idpGroups: groups, context)
    var detail = [
      "account": person, "via": "oidc", "issuer": settings.issuer,
      "subject": token.text("sub").map { String($0.prefix(200)) } ?? "",
      "groups": groups.joined(separator: ","), "origin": context.remoteAddress,
    ]
    guard console.operators.scope(of: session) != nil else {
      detail["reason"] = "no [[operators]] idp_group names the person's groups"
      try await console.store.appendAudit([
        AuditEvent(
          kind: "account.sign_in_refused", at: now, actor: "console:\(person)", detail: detail)
      ])
      return refused(
        words,
        words(
          "Du er logget ind hos kommunen, men har ingen rettigheder i konsollen. Kontakt den, der driver commsd.",
          "You are signed in with the municipality but have no rights in the console. Ask whoever runs commsd."
        ), status: .forbidden)
    }
    return try await console.begin(
      session,
      audit: AuditEvent(
        kind: "account.signed_in", at: now, actor: "console:\(person)", detail: detail),
      next: next)
  }

  /// A name or group from the provider as one line of at most 200 characters.
  static func oneLine(_ text: String) -> String {
    String(
      String(text.unicodeScalars.filter { $0.properties.generalCategory != .control })
        .trimmingCharacters(in: .whitespaces).prefix(200))
  }

  private func audit(refusal reason: String, _ context: APIContext, _ now: Date) async throws {
    try await console.store.appendAudit([
      AuditEvent(
        kind: "account.sign_in_refused", at: now, actor: "console:anonymous",
        detail: [
          "via": "oidc", "reason": String(reason.prefix(300)), "origin": context.remoteAddress,
        ])
    ])
  }

  /// The sign-in page with what went wrong (and a fresh form to try a local account).
  private func refused(_ words: Words, _ message: String, status: HTTPResponse.Status) -> Response {
    let token = ConsoleSession.randomToken()
    return ConsoleResponse.page(
      SignInPage.render(
        words: words, token: token, next: "/console", name: "", error: message,
        oidcLabel: provider.settings.label),
      status: status,
      cookies: [
        ConsoleResponse.cookie(
          ConsoleResponse.signInCookie, token, maxAge: 3600, sameSite: "Strict")
      ])
  }
}
