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
    /// Sending, cancelling and superseding (not a read-only token).
    case write
    /// Reading the audit log (`audit = true`).
    case audit
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
    case .write:
      try await access.requireWrite(token, request, context)
    case .audit:
      if !token.audit {
        throw await access.refuse(
          .forbidden("the token \(token.name) may not read the audit log (audit = true)"),
          request, context, actor: token)
      }
    }
    var context = context
    context.token = token
    return try await next(request, context)
  }
}
