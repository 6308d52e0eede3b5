import Foundation
import HTTPTypes
import Hummingbird

/// Lets a request on to a console route only with a live session whose
/// person `[[operators]]` still names, and, for a POST, only a form from
/// the console itself: same site (`Sec-Fetch-Site`, when the browser
/// sends it), form-encoded, and carrying the session's CSRF token. A page
/// without a session goes to the sign-in (and back afterwards); a POST
/// without one is refused as a failed authentication (401, throttled per
/// address like a wrong API token), one without the token 403; both are
/// audited. Errors become pages, not JSON.
struct ConsoleMiddleware: RouterMiddleware {
  let console: ConsoleEnvironment

  func handle(
    _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
  ) async throws -> Response {
    let words = Self.words(request, console)
    var caller: ConsoleCaller?
    do {
      guard let (session, _) = try await Self.session(request, console),
        let scope = console.operators.scope(of: session)
      else {
        if request.method == .get || request.method == .head {
          let next = ConsoleResponse.safeNext(request.uri.description)
          return ConsoleResponse.redirect(
            to: "/console/sign-in?next=\(FormBody.encode(next))",
            cookies: [ConsoleResponse.clear(ConsoleResponse.sessionCookie)])
        }
        // Refused as a failed authentication: counted against the address
        // (slowed, then 429) and, when an address floods, summarised in
        // the audit log instead of an event each.
        try await console.api.access.refuseIfBlocked(request, context)
        throw await console.api.access.refuse(
          Problem(
            .unauthorized,
            words(
              "Du er ikke logget ind (længere). Log ind og prøv igen.",
              "You are not signed in (any more). Sign in and try again.")),
          request, context, actor: nil)
      }
      var form = FormBody()
      if request.method == .post {
        form = try await Self.form(request, maxBytes: console.api.maxBodyBytes, words: words)
        let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!]
        let token = form["csrf"] ?? ""
        if site == "cross-site" || !ConsoleSession.sameToken(token, session.csrf) {
          try await console.refuse(
            request, context, actor: session.sender(from: context.remoteAddress),
            words(
              "Formularen kom ikke fra konsollen (CSRF-nøglen mangler eller er forkert). Hent siden igen.",
              "The form did not come from the console (its CSRF token is missing or wrong). Load the page again."
            ), reason: "no valid CSRF token")
        }
      }
      let found = ConsoleCaller(
        session: session, scope: scope, words: words, form: form,
        address: context.remoteAddress)
      caller = found
      var context = context
      context.console = found
      return try await next(request, context)
    } catch let problem as Problem {
      return ConsoleResponse.page(
        ConsoleFrame.problem(
          problem.status == .forbidden
            ? words("Ikke tilladt", "Not allowed") : words("Det gik ikke", "That did not work"),
          problem.detail, words: words, caller: caller), status: problem.status)
    }
  }

  /// The session named by the request's cookie, if it is live.
  static func session(_ request: Request, _ console: ConsoleEnvironment) async throws
    -> (ConsoleSession, String)?
  {
    guard let token = request.cookies[ConsoleResponse.sessionCookie]?.value,
      ConsoleSession.isToken(token[...])
    else { return nil }
    let hash = ConsoleSession.tokenHash(token)
    guard
      let session = try await console.store.consoleSession(
        tokenHash: hash, at: console.api.clock.now(), idle: console.settings.sessionIdle)
    else { return nil }
    return (session, hash)
  }

  static func words(_ request: Request, _ console: ConsoleEnvironment) -> Words {
    Words.choose(
      cookie: request.cookies[ConsoleResponse.languageCookie]?.value,
      acceptLanguage: request.headers[.acceptLanguage],
      fallback: console.configuration.defaultLanguage)
  }

  /// A form-encoded body of at most `maxBytes`; anything else is refused.
  static func form(_ request: Request, maxBytes: Int, words: Words) async throws -> FormBody {
    let type = request.headers[.contentType]?.lowercased() ?? ""
    guard type.hasPrefix("application/x-www-form-urlencoded") else {
      throw Problem(
        .unsupportedMediaType,
        words(
          "Konsollen tager kun imod formularer.", "The console takes only forms (form-encoded)."))
    }
    let bytes: ByteBuffer
    do {
      bytes = try await request.body.collect(upTo: maxBytes)
    } catch {
      throw Problem(
        .contentTooLarge,
        words(
          "Formularen er for stor (over \(maxBytes) byte).",
          "The form is too large (over \(maxBytes) bytes)."))
    }
    do {
      return try FormBody.parse(bytes.readableBytesView)
    } catch {
      throw Problem(.badRequest, error.description)
    }
  }
}
