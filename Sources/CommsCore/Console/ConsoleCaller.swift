import Foundation

/// The person behind a console request, once `ConsoleMiddleware` found
/// their session: who they are, what `[[operators]]` lets them do now,
/// their language, and (for a POST) the form they sent, its CSRF token
/// checked.
struct ConsoleCaller: Sendable {
  let session: ConsoleSession
  let scope: OperatorScope
  let words: Words
  let form: FormBody
  let address: String

  var person: String { session.person }

  /// How their acts are recorded: `console:NAME@ADDRESS`.
  var sender: Sender { session.sender(from: address) }

  func may(_ right: OperatorRight) -> Bool { scope.rights.contains(right) }

  /// Whether every one of `audiences` is within their scope.
  func sees(_ audiences: some Sequence<String>) -> Bool {
    guard let allowed = scope.audiences else { return true }
    return audiences.allSatisfy(allowed.contains)
  }

  /// Whether they may see `inquiry`: its audience's, or, from someone
  /// commsd does not know, only with every audience.
  func sees(_ inquiry: Inquiry) -> Bool {
    inquiry.audience.map(covers) ?? (scope.audiences == nil)
  }

  /// Whether `audience` is one they may act for.
  func covers(_ audience: String) -> Bool { scope.audiences?.contains(audience) ?? true }
}

extension OperatorPolicy {
  /// What a console person may do: a local account is named by
  /// `user = "NAME"`; a person from the identity provider by
  /// `idp_group` entries naming one of their groups. nil: nobody named them.
  /// Without any `[[operators]]`, a local account may do everything (as
  /// any user of the intake socket may then: whoever made the account
  /// trusted its person); a person from the identity provider nothing.
  func scope(of session: ConsoleSession) -> OperatorScope? {
    if !isEnforced {
      guard session.via == .local else { return nil }
      return OperatorScope(
        person: session.person, audiences: nil, maxPriority: .flash,
        rights: Set(OperatorRight.allCases), rules: ["no [[operators]]: everything"])
    }
    return switch session.via {
    case .local: scope(user: session.person, groups: [], idpGroups: [])
    case .oidc:
      scope(user: nil, groups: [], idpGroups: Set(session.idpGroups), person: session.person)
    }
  }
}
