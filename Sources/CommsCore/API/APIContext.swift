import Hummingbird
import NIOCore

/// The request context of the HTTP API: Hummingbird's, plus the client's
/// address (for the audit log and for slowing down repeated failures) and,
/// behind `TokenMiddleware`, the token the request was made with.
struct APIContext: RequestContext {
  var coreContext: CoreRequestContextStorage
  let remoteAddress: String
  /// Set by `TokenMiddleware` once the bearer token checked out.
  var token: APIToken?
  /// Set by `ConsoleMiddleware` once the console session checked out.
  var console: ConsoleCaller?

  init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
  }

  /// The token of a route behind `TokenMiddleware`. A route outside it that
  /// asks is a fault of ours: a logged 500, never an open door.
  func caller() throws -> APIToken {
    guard let token else { throw MissingTokenMiddleware(route: endpointPath ?? "unmatched") }
    return token
  }

  /// The sender recorded for the requests of `token`.
  func sender(_ token: APIToken) -> Sender {
    Sender(kind: .api, name: token.name, origin: remoteAddress)
  }
}

extension APIContext {
  /// The person of a route behind `ConsoleMiddleware` (as `caller()`).
  func person() throws -> ConsoleCaller {
    guard let console else { throw MissingTokenMiddleware(route: endpointPath ?? "unmatched") }
    return console
  }
}

/// A route asked for the caller's token without `TokenMiddleware` before it.
struct MissingTokenMiddleware: Error, CustomStringConvertible {
  let route: String
  var description: String { "the route \(route) is not behind the token middleware" }
}
