import Foundation

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
}
