import Synchronization

/// The API's tokens and hook sources as configured now.
final class APIAccess: Sendable {
  typealias Hook = (hook: InboundHook, subject: HookTemplate, body: HookTemplate)

  struct State: Sendable {
    var tokens: TokenCheck
    var hooks: [String: Hook]

    init(_ settings: APISettings) throws {
      tokens = TokenCheck(tokens: settings.tokens)
      hooks = try settings.hooks.mapValues { hook in
        (hook, try HookTemplate(hook.subject), try HookTemplate(hook.body))
      }
    }
  }

  private let state: Mutex<State>

  init(_ state: State) { self.state = Mutex(state) }

  var current: State { state.withLock { $0 } }

  func replace(with state: State) { self.state.withLock { $0 = state } }
}
