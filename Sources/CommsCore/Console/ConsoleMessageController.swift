import Foundation
import Hummingbird

/// One message (`/console/messages/{id}`): what was sent to whom, each
/// delivery's state with receipts, confirmations and waves, approvals,
/// and what the person may do about it: retry its dead letters, cancel it
/// (with notice to those who got it), supersede it, approve or reject it,
/// read its after-action report. Each act goes through the store's own
/// step under the person's name, as from the CLI; a refusal is shown by
/// the form it came from.
struct ConsoleMessageController: APIController {
  let console: ConsoleEnvironment

  func addRoutes(to router: Router<APIContext>) {
    router.get("/console/static/report.css") { _, _ in
      ConsoleAssets.response(MessagePage.reportStyle, type: "text/css; charset=utf-8")
    }
    router.group("/console/messages").add(middleware: ConsoleMiddleware(console: console))
      .get(":id", use: show)
      .get(":id/report", use: report)
      .post(":id/cancel", use: cancel)
      .post(":id/retry", use: retry)
      .post(":id/approve", use: approve)
      .post(":id/reject", use: reject)
  }

  /// The message in the path, if the person may see it (every one of its
  /// audiences in their scope; for an approver, one of them); else 404.
  func visible(_ context: APIContext, _ caller: ConsoleCaller) async throws -> MessageStatus {
    let id = context.parameters.get("id") ?? ""
    guard MessageID.isWellFormed(id),
      let status = try await console.store.status(of: MessageID(rawValue: id)),
      caller.sees(status.audiences)
        || (caller.may(.approve) && status.audiences.contains(where: caller.covers))
    else {
      throw Problem(
        .notFound,
        caller.words(
          "Der er ingen besked \(id.prefix(40)), som du kan se.",
          "There is no message \(id.prefix(40)) you may see."))
    }
    return status
  }

  @Sendable func show(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    let notice = ConsoleNotice(request)
    return try await page(context, caller, notice: notice)
  }

  /// The page, with `errors` by the forms they concern (`cancel`, `approve`, …).
  func page(
    _ context: APIContext, _ caller: ConsoleCaller, notice: ConsoleNotice? = nil,
    errors: [String: String] = [:]
  ) async throws -> Response {
    let status = try await visible(context, caller)
    let id = MessageID(rawValue: status.id)
    guard let message = try await console.store.message(id) else {
      throw Problem(.notFound, "no message \(status.id)")
    }
    let overview = try await console.store.overview(of: id)
    let markup = MessagePage.render(
      status: status, message: message, overview: overview, caller: caller, notice: notice,
      errors: errors, now: console.api.clock.now(), displayName: console.displayName)
    return ConsoleResponse.page(
      try await console.frame(
        status.subject, caller, .board, path: "/console/messages/\(status.id)", main: markup),
      status: errors.isEmpty ? .ok : .unprocessableContent)
  }

  @Sendable func report(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    let status = try await visible(context, caller)
    guard caller.may(.audit) else {
      throw Problem(
        .forbidden,
        caller.words(
          "Efterrapporten kræver retten \"audit\".",
          "The after-action report needs the right \"audit\"."))
    }
    let now = console.api.clock.now()
    let id = MessageID(rawValue: status.id)
    guard let report = try await console.store.afterActionReport(message: id, at: now) else {
      throw Problem(.notFound, "no message \(status.id)")
    }
    // Who looked at what is on record, as for `commsd audit report`.
    try await console.store.appendAudit([
      AuditEvent(
        kind: "audit.reported", at: now, messageID: id, actor: caller.sender.description,
        detail: ["message": status.id, "messages": "1", "via": "console"])
    ])
    return ConsoleResponse.page(
      try await console.frame(
        caller.words("Efterrapport", "After-action report"), caller, .board,
        path: "/console/messages/\(status.id)/report",
        main: MessagePage.report(report, id: status.id, words: caller.words)))
  }

  @Sendable func cancel(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    let status = try await visible(context, caller)
    let words = caller.words
    try await console.require(.cancel, caller, request, context)
    if case .failure(let error) = Result(catching: { () throws(IntakeError) in
      try caller.scope.authorize(.cancel, over: status.audiences)
    }) {
      return try await page(context, caller, errors: ["cancel": error.message])
    }
    let checked = Result { () throws(IntakeError) in
      try Cancellation.checkedReason(caller.form.text("reason") ?? "")
    }
    guard case .success(let reason) = checked else {
      let message = Self.message(checked)
      return try await page(
        context, caller,
        errors: ["cancel": words("Skriv en begrundelse: ", "Give a reason: ") + message])
    }
    do {
      _ = try await Cancellation.carryOut(
        id(status), reason: reason, notify: caller.form["notify"] == "on", actor: caller.sender,
        store: console.store, at: console.api.clock.now())
    } catch StoreError.refused(_, let detail) {
      return try await page(context, caller, errors: ["cancel": detail])
    }
    console.api.planBell.ring()
    return ConsoleResponse.redirect(to: "/console/messages/\(status.id)?notice=cancelled")
  }

  @Sendable func retry(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    let status = try await visible(context, caller)
    try await console.require(.send, caller, request, context)
    if case .failure(let error) = Result(catching: { () throws(IntakeError) in
      try caller.scope.authorize(.send, over: status.audiences)
    }) {
      return try await page(context, caller, errors: ["retry": error.message])
    }
    // One dead letter (its id from the page), or every one of the message.
    let target = caller.form.text("delivery") ?? status.id
    guard target == status.id || status.deliveries.contains(where: { $0.id == target }) else {
      return try await page(
        context, caller, errors: ["retry": "\(target.prefix(40)) is not a delivery of this message"]
      )
    }
    let retried: [String]
    do {
      retried = try await console.store.retryDead(
        target, actor: caller.sender, at: console.api.clock.now())
    } catch StoreError.refused(_, let detail) {
      return try await page(context, caller, errors: ["retry": detail])
    } catch let error as StoreError {
      return try await page(context, caller, errors: ["retry": "\(error)"])
    }
    guard !retried.isEmpty else {
      return try await page(
        context, caller,
        errors: [
          "retry": caller.words(
            "Intet at sende igen (ikke død, fulgt af en anden kontakt, eller beskeden er trukket tilbage).",
            "Nothing to retry (not dead, followed by a fallback, or the message was withdrawn).")
        ])
    }
    console.api.planBell.ring()
    return ConsoleResponse.redirect(to: "/console/messages/\(status.id)?notice=retried")
  }

  @Sendable func approve(_ request: Request, _ context: APIContext) async throws -> Response {
    try await decide(.approve, context)
  }

  @Sendable func reject(_ request: Request, _ context: APIContext) async throws -> Response {
    try await decide(.reject, context)
  }

  private func decide(_ verdict: ApprovalDecision.Verdict, _ context: APIContext) async throws
    -> Response
  {
    let caller = try context.person()
    let status = try await visible(context, caller)
    guard caller.may(.approve) else {
      return try await page(
        context, caller,
        errors: [
          "approve": caller.words(
            "Du har ikke retten \"approve\".", "You lack the right \"approve\".")
        ])
    }
    let checked = Result { () throws(IntakeError) in
      try ApprovalDecision.checkedReason(caller.form.text("reason"), required: verdict == .reject)
    }
    guard case .success(let reason) = checked else {
      return try await page(context, caller, errors: ["approve": Self.message(checked)])
    }
    let scope = caller.scope
    let decision = ApprovalDecision(
      messageID: id(status), verdict: verdict,
      decider: .operatorName(
        caller.person, mayApprove: { scope.audiences?.contains($0) ?? true }),
      via: "console", audience: caller.form.text("audience"), reason: reason,
      at: console.api.clock.now())
    do {
      _ = try await console.store.decide(decision)
    } catch StoreError.refused(_, let detail) {
      try? await console.store.appendAudit([ApprovalAudit.refused(decision, message: detail)])
      return try await page(context, caller, errors: ["approve": detail])
    }
    console.api.planBell.ring()
    return ConsoleResponse.redirect(
      to: "/console/messages/\(status.id)?notice=\(verdict == .approve ? "approved" : "rejected")")
  }

  private func id(_ status: MessageStatus) -> MessageID { MessageID(rawValue: status.id) }

  /// The message of a refusal.
  static func message<T>(_ result: Result<T, IntakeError>) -> String {
    if case .failure(let error) = result { return error.message }
    return ""
  }
}
