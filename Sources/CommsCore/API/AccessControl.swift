import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Who is asking, and whether they may: bearer tokens, scopes, and the
/// record of every refusal. `TokenMiddleware` asks it for every route that
/// takes a token; a route asks it only what depends on what the request
/// says (the audiences and priority of the message in its body).
struct AccessControl: Sendable {
  /// Tokens and hook sources: replaced on a reload signal.
  let configured: APIAccess
  let throttle = FailureThrottle()
  /// Failed authentications: written singly until an address floods, then counted.
  let refusals: RefusalLedger
  let store: any Store
  let clock: any WallClock
  let logger: Logger

  var tokens: TokenCheck { configured.current.tokens }
  var hooks: [String: APIAccess.Hook] { configured.current.hooks }

  /// The request's token, or a 401. The token is checked first: a valid
  /// one is answered whatever else its address sends (behind a proxy or NAT
  /// many integrators share one). Only a failure from an address that keeps
  /// failing gets 429.
  func authenticate(_ request: Request, _ context: APIContext) async throws -> APIToken {
    let header = request.headers[.authorization]
    let parts = header?.split(separator: " ", maxSplits: 1) ?? []
    if parts.count == 2, parts[0].lowercased() == "bearer",
      let token = tokens.identify(String(parts[1]).trimmed(.whitespaces))
    {
      return token
    }
    try await refuseIfBlocked(request, context)
    throw await refuse(
      .unauthorized(
        header == nil
          ? "no bearer token (Authorization: Bearer …)" : "the bearer token is not valid"),
      request, context, actor: nil)
  }

  /// A 429 when the address has failed too often lately; counted in the
  /// audit like the 401s before it.
  func refuseIfBlocked(_ request: Request, _ context: APIContext) async throws {
    guard let wait = throttle.blocked(context.remoteAddress) else { return }
    var problem = Problem(
      .tooManyRequests, "too many failed authentications from this address; try again later")
    problem.headers["Retry-After"] = String(max(1, Int(wait.seconds.rounded(.up))))
    throw await refuse(problem, request, context, actor: nil)
  }

  /// A 403 unless `token` may write.
  func requireWrite(_ token: APIToken, _ request: Request, _ context: APIContext) async throws {
    if token.readOnly {
      throw await refuse(
        .forbidden("the token \(token.name) is read-only"), request, context, actor: token)
    }
  }

  /// A 403 unless `token` may send `priority` to `audiences`. (That it may
  /// write at all, `TokenMiddleware` checked before the route ran.)
  func requireScope(
    _ token: APIToken, audiences: [String], priority: Priority, _ request: Request,
    _ context: APIContext
  ) async throws {
    let outside = audiences.filter { !token.audiences.contains($0) }
    if !outside.isEmpty {
      throw await refuse(
        .forbidden(
          "the token \(token.name) may not reach \(outside.joined(separator: ", "))",
          field: "audiences"), request, context, actor: token)
    }
    if !token.allows(priority) {
      throw await refuse(
        .forbidden(
          "the token \(token.name) may send at most \(token.maxPriority.rawValue) priority",
          field: "priority"), request, context, actor: token)
    }
  }

  /// Records a refusal (`request.refused`) and returns it to be thrown. A
  /// failed authentication (401, 429) also counts against the address, is
  /// answered only after its delay, and goes through the `RefusalLedger`:
  /// written at once, or counted into a summary when its address floods.
  /// A 403 unless `token` has every one of `rights`, naming the one it lacks.
  func require(
    _ rights: [OperatorRight], _ token: APIToken, _ request: Request, _ context: APIContext
  ) async throws {
    guard let missing = rights.first(where: { !token.rights.contains($0) }) else { return }
    let has = token.rights.sorted().map(\.rawValue).joined(separator: ", ")
    throw await refuse(
      .forbidden(
        "the token \(token.name) lacks the right \"\(missing.rawValue)\" (rights: \(has.isEmpty ? "none" : has))"
      ), request, context, actor: token)
  }

  func refuse(
    _ problem: Problem, _ request: Request, _ context: APIContext, actor token: APIToken?
  ) async -> Problem {
    let failedAuthentication =
      token == nil && (problem.status == .unauthorized || problem.status == .tooManyRequests)
    if failedAuthentication {
      let single = refusals.admit(context.remoteAddress, status: problem.status.code)
      if problem.status == .unauthorized {
        let delay = throttle.failed(context.remoteAddress)
        if delay > .zero { try? await Task.sleep(for: delay) }
      }
      guard single else { return problem }
    }
    await audit(
      problem, request, context,
      actor: Sender(kind: .api, name: token?.name ?? "anonymous", origin: context.remoteAddress))
    return problem
  }

  /// Writes `request.refused` for `problem` under `actor` (an API token, or
  /// a console person); a failed write is logged, not the client's business.
  func audit(_ problem: Problem, _ request: Request, _ context: APIContext, actor: Sender) async {
    var detail = [
      "status": String(problem.status.code), "method": request.method.rawValue,
      "route": context.endpointPath ?? request.uri.path, "reason": problem.detail,
    ]
    if let field = problem.field { detail["field"] = field }
    do {
      try await store.appendAudit([
        AuditEvent(
          kind: "request.refused", at: clock.now(), actor: actor.description, detail: detail)
      ])
    } catch {
      logger.error("cannot write audit event", metadata: ["error": "\(error)"])
    }
  }
}
