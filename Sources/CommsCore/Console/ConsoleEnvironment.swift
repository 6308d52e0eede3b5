import Foundation
import Hummingbird

/// What the console's routes work with: the API's environment (store,
/// clock, intake, access control), the configuration it was started with
/// (audiences and their names, languages, templates, endpoints), the
/// directory and operators as reloaded, and the dispatcher's breakers.
struct ConsoleEnvironment: Sendable {
  let api: APIEnvironment
  let settings: ConsoleSettings
  let configuration: Configuration
  let intake: DaemonIntake
  /// The endpoints' circuit breakers, for the board; nil in a test.
  let dispatcher: Dispatcher?

  var store: any Store { api.store }

  /// `[[operators]]` as reloaded: a removed person loses their rights at
  /// the next request.
  var operators: OperatorPolicy { intake.directory.operators }

  /// The name people know an audience by.
  func displayName(_ audience: String) -> String {
    configuration.audiences[audience]?.displayName ?? audience
  }

  /// The languages a message can be written in: the default first, then
  /// Danish and English, then every other language a recipient reads.
  var languages: [String] {
    var seen = [configuration.defaultLanguage]
    let read = Set(intake.directory.current.recipients.map(\.language))
    for language in ["da", "en"] + read.sorted() where !seen.contains(language) {
      seen.append(language)
    }
    return seen
  }

  /// Records a refusal (`request.refused`, under the person) and throws
  /// it as a 403 page.
  func refuse(
    _ request: Request, _ context: APIContext, actor: Sender, _ message: String, reason: String
  ) async throws -> Never {
    await api.access.audit(Problem(.forbidden, reason), request, context, actor: actor)
    throw Problem(.forbidden, message)
  }

  /// A 403 unless `caller` has `right`: audited like the API's, shown as a page.
  func require(
    _ right: OperatorRight, _ caller: ConsoleCaller, _ request: Request, _ context: APIContext
  ) async throws {
    guard !caller.may(right) else { return }
    try await refuse(
      request, context, actor: caller.sender,
      caller.words(
        "Du har ikke retten \"\(right.rawValue)\".", "You lack the right \"\(right.rawValue)\"."),
      reason: "lacks the right \(right.rawValue)")
  }

  /// A failed sign-in counted against the client's address, as a wrong
  /// API token is: answered after the throttle's delay, and refused with
  /// 429 (`AccessControl.refuseIfBlocked`) once the address keeps failing.
  func failedAuthentication(_ context: APIContext) async {
    let delay = api.access.throttle.failed(context.remoteAddress)
    if delay > .zero { try? await Task.sleep(for: delay) }
  }

  /// What to tell a person signing in from an address that has failed too
  /// often lately (the refusal is audited as the API's are); nil: go on.
  func blocked(_ request: Request, _ context: APIContext) async -> String? {
    do {
      try await api.access.refuseIfBlocked(request, context)
      return nil
    } catch {
      let words = ConsoleMiddleware.words(request, self)
      return words(
        "For mange fejlede forsøg fra denne adresse. Vent lidt, og prøv igen.",
        "Too many failed attempts from this address. Wait a while and try again.")
    }
  }

  /// A new session for a person who just proved who they are.
  func newSession(
    person: String, displayName: String, via: ConsoleSession.Via, idpGroups: [String] = [],
    _ context: APIContext
  ) -> ConsoleSession {
    let now = api.clock.now()
    return ConsoleSession(
      person: person, displayName: displayName, via: via, idpGroups: idpGroups,
      csrf: ConsoleSession.randomToken(), origin: context.remoteAddress, createdAt: now,
      seenAt: now, expiresAt: now.addingTimeInterval(settings.sessionMax.seconds))
  }

  /// Stores `session` (with `audit`, in the same transaction) under a fresh
  /// cookie token, and sends the browser on to `next`.
  func begin(_ session: ConsoleSession, audit: AuditEvent? = nil, next: String?) async throws
    -> Response
  {
    let token = ConsoleSession.randomToken()
    try await store.startConsoleSession(
      session, tokenHash: ConsoleSession.tokenHash(token), idle: settings.sessionIdle,
      audit: audit)
    return ConsoleResponse.redirect(
      to: ConsoleResponse.safeNext(next),
      cookies: [
        ConsoleResponse.cookie(
          ConsoleResponse.sessionCookie, token,
          maxAge: Int(settings.sessionMax.components.seconds)),
        ConsoleResponse.clear(ConsoleResponse.signInCookie),
      ])
  }
}
