import Foundation
import HTTPTypes
import Hummingbird

/// `POST /v1/cap`: a CAP 1.2 alert, as `commsd send --cap` takes it, from
/// a writing token (`TokenMiddleware`).
struct CAPController: APIController {
  let api: APIEnvironment
  let configuration: Configuration

  func addRoutes(to router: Router<APIContext>) {
    api.routes("/v1/cap", on: router, requiring: .writing([.send])).post(use: postCAP)
  }

  @Sendable func postCAP(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let data = Data(try await request.bodyBytes(upTo: api.maxBodyBytes))
    let action: CAPIntake.Action
    do {
      let alert = try CAPReader.parse(data)
      action = try await CAPIntake(
        configuration: configuration, store: api.store, clock: api.clock, principal: .token(token)
      ).action(for: alert, origin: "api:\(token.name)@\(context.remoteAddress)")
    } catch let error as CAPError {
      // The element path names what is wrong, as a field would.
      throw Problem.invalid(error.path.isEmpty ? "alert" : error.path, error.description)
    }
    switch action {
    case .send(let message):
      // An Update withdraws what it supersedes: that must be in scope too,
      // as for POST /v1/messages/{id}/supersede. The look-up only finds
      // messages in scope; this holds for the newest of their chain as well.
      var superseded: [String] = []
      if let old = message.supersedes {
        superseded = try await api.store.status(of: old)?.audiences ?? []
      }
      try await api.access.requireScope(
        token, audiences: message.audiences + superseded, priority: message.priority, request,
        context)
      return try await api.intake.enqueue(message)
    case .cancel(let cancellation):
      var cancelled: [String] = []
      for id in cancellation.messages {
        guard let status = try await api.store.status(of: id) else { continue }
        try await api.access.requireScope(
          token, audiences: status.audiences, priority: .bulk, request, context)
        do {
          _ = try await Cancellation.carryOut(
            id, reason: cancellation.reason, notify: true, actor: cancellation.sender,
            store: api.store, at: api.clock.now())
        } catch StoreError.refused(_, let detail) {
          throw Problem(.conflict, detail, field: "alert/references")
        }
        cancelled.append(id.rawValue)
      }
      api.planBell.ring()
      return JSONResponse.make(
        .ok,
        CAPCancelAnswer(
          cancelled: cancelled, alreadyCancelled: cancellation.alreadyCancelled.map(\.rawValue),
          unknown: cancellation.unknown.map { "\($0.sender),\($0.identifier),\($0.sent)" }))
    }
  }

  struct CAPCancelAnswer: Encodable {
    var cancelled: [String]
    var alreadyCancelled: [String]
    var unknown: [String]

    enum CodingKeys: String, CodingKey {
      case cancelled, unknown
      case alreadyCancelled = "already_cancelled"
    }
  }
}
