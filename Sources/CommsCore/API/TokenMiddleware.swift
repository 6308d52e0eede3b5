import Hummingbird

/// Lets a request on to its route only with a valid bearer token, which it
/// puts in the context (`APIContext.caller()`), and only if the token has
/// the right the routes behind it need. Every refusal goes through
/// `AccessControl`: audited, and slowed down for an address that keeps
/// failing.
struct TokenMiddleware: RouterMiddleware {
  /// What a token must allow beyond being valid.
  enum Right: Sendable {
    /// Reading what its audiences cover.
    case read
    /// Reading, with a right (`audit` for the audit log, `inbox`).
    case reading(OperatorRight)
    /// Changing something (not a read-only token), with every one of the
    /// rights.
    case writing([OperatorRight])
  }

  let access: AccessControl
  let right: Right

  func handle(
    _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
  ) async throws -> Response {
    let token = try await access.authenticate(request, context)
    switch right {
    case .read:
      break
    case .reading(let right):
      try await access.require([right], token, request, context)
    case .writing(let rights):
      try await access.requireWrite(token, request, context)
      try await access.require(rights, token, request, context)
    }
    var context = context
    context.token = token
    return try await next(request, context)
  }
}
