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

  /// Records a refusal (`request.refused`, under the person when known)
  /// and throws it as a 403 page.
  func refuse(
    _ request: Request, _ context: APIContext, actor: Sender?, _ message: String, reason: String
  ) async throws -> Never {
    let problem = Problem(.forbidden, message)
    try await store.appendAudit([
      AuditEvent(
        kind: "request.refused", at: api.clock.now(),
        actor: (actor ?? Sender(kind: .console, name: "anonymous", origin: context.remoteAddress))
          .description,
        detail: [
          "status": "403", "method": request.method.rawValue,
          "route": context.endpointPath ?? request.uri.path, "reason": reason,
        ])
    ])
    throw problem
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
}
