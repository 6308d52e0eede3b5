import Foundation
import Hummingbird

/// Compose (`/console/compose`): from a template or blank, in every
/// language, to audiences narrowed by `where`, with a live count of whom
/// it reaches (the dry run), previews per channel, and then send, save as
/// a draft, or (for a draft) discard. Opened with `?template=`, `?draft=`
/// or `?supersedes=`, it starts from that.
///
/// A message goes the road of the API's: read as its request body
/// (`ComposeForm`), checked against the person's `[[operators]]` scope,
/// then intake (durable before the person is told it is accepted). Its
/// idempotency key is the form's own, so a double press sends once.
struct ConsoleComposeController: APIController {
  let console: ConsoleEnvironment

  func addRoutes(to router: Router<APIContext>) {
    router.group("/console/compose").add(middleware: ConsoleMiddleware(console: console))
      .get(use: show)
      .post(use: submit)
      .post("count", use: count)
  }

  @Sendable func show(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    try await console.require(.send, caller, request, context)
    let query = request.uri.queryParameters
    var form = ComposeForm()
    var general: String?
    if let id = query.get("draft").map({ String($0) }) {
      guard DraftID.isWellFormed(id),
        let draft = try await console.store.draft(DraftID(rawValue: id)),
        caller.sees(draft.content.audiences), draft.state == .open
      else {
        throw Problem(
          .notFound,
          caller.words("Ingen åben kladde \(id.prefix(40)).", "No open draft \(id.prefix(40))."))
      }
      form = ComposeForm(draft.content)
      form["draft"] = id
      form["revision"] = String(draft.revision)
    } else if let old = query.get("supersedes").map({ String($0) }) {
      guard MessageID.isWellFormed(old),
        let message = try await console.store.message(MessageID(rawValue: old)),
        caller.sees(message.audiences)
      else {
        throw Problem(
          .notFound,
          caller.words("Ingen besked \(old.prefix(40)).", "No message \(old.prefix(40))."))
      }
      var request = SendRequest(
        audiences: message.audiences, priority: message.priority, kind: .update,
        contents: message.contents, sender: caller.sender, filter: message.filter)
      request.supersedes = message.id
      request.mode = message.mode
      form = ComposeForm(DraftContent(request))
    } else if let name = query.get("template").map({ String($0) }), !name.isEmpty {
      form["template"] = name
      general = adoptTemplate(&form)
    }
    return try await page(caller, form, errors: general.map { ["template": $0] } ?? [:])
  }

  /// Takes the chosen template's audiences, priority and kind into the
  /// form; the reason when there is no such template.
  private func adoptTemplate(_ form: inout ComposeForm) -> String? {
    guard let name = form.given("template") else { return nil }
    do {
      let template = try console.api.templates.template(name)
      form.audiences = template.audiences
      if let priority = template.priority { form["priority"] = priority.rawValue }
      if let kind = template.kind { form["kind"] = kind.rawValue }
      return nil
    } catch {
      return error.message
    }
  }

  func page(
    _ caller: ConsoleCaller, _ form: ComposeForm, errors: [String: String] = [:],
    preview: DryRunReport? = nil
  ) async throws -> Response {
    var form = form
    if !ComposeForm.isKey(form["key"]) { form["key"] = ComposeForm.newKey() }
    let templateName = form.given("template")
    let template = templateName.flatMap { try? console.api.templates.template($0) }
    let markup = ComposePage.render(
      form: form, errors: errors, preview: preview, caller: caller,
      templates: console.api.templates.names(), template: template,
      languages: console.languages,
      audiences: console.configuration.audiences.keys.sorted().filter(caller.covers),
      displayName: console.displayName)
    return ConsoleResponse.page(
      try await console.frame(
        caller.words("Ny besked", "Compose"), caller,
        form.given("draft") == nil ? .compose : .drafts,
        path: "/console/compose", main: markup),
      status: errors.isEmpty ? .ok : .unprocessableContent)
  }

  /// The form read as a request, checked against the person's scope.
  func request(_ form: ComposeForm, _ caller: ConsoleCaller) async throws(ComposeForm.Refusal)
    -> SendRequest
  {
    let (object, language) = try form.body(languages: console.languages)
    let bytes: [UInt8]
    do {
      bytes = Array(try JSONSerialization.data(withJSONObject: object))
    } catch {
      throw ComposeForm.Refusal(field: "general", message: "\(error)")
    }
    var request: SendRequest
    do throws(Problem) {
      let key = ComposeForm.isKey(form["key"]) ? form["key"] : ComposeForm.newKey()
      (request, _) = try MessageRequestBody.parse(
        bytes, defaultLanguage: language, sender: caller.sender,
        idempotencyKey: "console:\(caller.person):\(key)", templates: console.api.templates,
        now: console.api.clock.now())
    } catch {
      throw ComposeForm.Refusal(
        field: ComposeForm.formField(error.field ?? "general", language: language),
        message: error.detail)
    }
    if let old = form.given("supersedes") {
      guard MessageID.isWellFormed(old) else {
        throw ComposeForm.Refusal(field: "general", message: "not a message id: \(old.prefix(40))")
      }
      request.supersedes = MessageID(rawValue: old)
    }
    do throws(IntakeError) {
      try caller.scope.authorize(request)
    } catch {
      throw ComposeForm.Refusal(
        field: ComposeForm.formField(
          MessageRequestBody.apiField(error.field, language: language, defaultLanguage: language),
          language: language), message: error.message)
    }
    return request
  }

  @Sendable func submit(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    try await console.require(.send, caller, request, context)
    var form = ComposeForm(caller.form)
    let action = caller.form["action"] ?? "preview"
    if action == "template" {
      let error = adoptTemplate(&form)
      return try await page(caller, form, errors: error.map { ["template": $0] } ?? [:])
    }
    if action == "discard", let id = form.given("draft") {
      return try await discard(id, caller, form)
    }
    let message: SendRequest
    do {
      message = try await self.request(form, caller)
    } catch {
      return try await page(caller, form, errors: [error.field: error.message])
    }
    let language = message.contents.keys.sorted().first ?? console.configuration.defaultLanguage
    switch action {
    case "send":
      return try await send(message, form, caller, language: language)
    case "draft":
      return try await saveDraft(message, form, caller, language: language)
    default:
      do {
        let report = try await console.intake.dryRun(message)
        return try await page(caller, form, preview: report)
      } catch let error as IntakeError {
        return try await page(caller, form, errors: [field(error, language): error.message])
      }
    }
  }

  private func field(_ error: IntakeError, _ language: String) -> String {
    ComposeForm.formField(
      MessageRequestBody.apiField(error.field, language: language, defaultLanguage: language),
      language: language)
  }

  private func send(
    _ message: SendRequest, _ form: ComposeForm, _ caller: ConsoleCaller, language: String
  ) async throws -> Response {
    var message = message
    let now = console.api.clock.now()
    var draftID: DraftID?
    if let id = form.given("draft") {
      // A draft is saved as it now reads and sent under its own key, so
      // its record says who drafted and who sent it.
      guard DraftID.isWellFormed(id) else {
        return try await page(caller, form, errors: ["general": "not a draft id"])
      }
      let draft = DraftID(rawValue: id)
      do {
        _ = try await console.store.editDraft(
          draft, DraftContent(message), revision: Int(form["revision"]),
          by: caller.sender.description, at: now)
      } catch StoreError.refused(_, let detail) {
        return try await page(caller, form, errors: ["general": detail])
      }
      message = DraftContent(message).request(sending: draft, sender: caller.sender, now: now)
      draftID = draft
    }
    switch await console.intake.accept(message) {
    case .accepted(let id, _, let awaiting):
      if let draftID {
        try? await console.store.closeDraft(
          draftID, as: .sent, message: id, by: caller.sender.description, at: now)
      }
      let notice: ConsoleNotice =
        !awaiting.isEmpty
        ? .awaitingApproval : message.notBefore.map { $0 > now } == true ? .scheduled : .sent
      return ConsoleResponse.redirect(to: "/console/messages/\(id)?notice=\(notice.rawValue)")
    case .duplicate(let id):
      return ConsoleResponse.redirect(to: "/console/messages/\(id)")
    case .refused(let field, let detail):
      return try await page(
        caller, form, errors: [self.field(IntakeError(field: field, detail), language): detail])
    case .conflict(let detail):
      // The form's key is this person's and this form's alone: a second
      // press (a template's expiry counted a moment later) is the first
      // message, not a conflict to explain.
      if let key = message.idempotencyKey,
        let id = try await console.store.messageID(idempotencyKey: key)
      {
        return ConsoleResponse.redirect(to: "/console/messages/\(id)")
      }
      return try await page(caller, form, errors: ["general": detail])
    case .failed, .received:
      return try await page(
        caller, form,
        errors: [
          "general": caller.words(
            "Beskeden kunne ikke gemmes. Prøv igen om lidt.",
            "The message could not be stored. Try again in a moment.")
        ])
    }
  }

  private func saveDraft(
    _ message: SendRequest, _ form: ComposeForm, _ caller: ConsoleCaller, language: String
  ) async throws -> Response {
    do {
      try console.intake.validate(message)
    } catch {
      return try await page(caller, form, errors: [field(error, language): error.message])
    }
    let now = console.api.clock.now()
    do {
      if let id = form.given("draft"), DraftID.isWellFormed(id) {
        _ = try await console.store.editDraft(
          DraftID(rawValue: id), DraftContent(message), revision: Int(form["revision"]),
          by: caller.sender.description, at: now)
      } else {
        _ = try await console.store.createDraft(
          DraftContent(message), by: caller.sender.description, at: now)
      }
    } catch StoreError.refused(_, let detail) {
      return try await page(caller, form, errors: ["general": detail])
    }
    return ConsoleResponse.redirect(to: "/console/drafts?notice=draft-saved")
  }

  private func discard(_ id: String, _ caller: ConsoleCaller, _ form: ComposeForm) async throws
    -> Response
  {
    guard DraftID.isWellFormed(id),
      let draft = try await console.store.draft(DraftID(rawValue: id)),
      caller.sees(draft.content.audiences)
    else { return try await page(caller, form, errors: ["general": "no draft \(id.prefix(40))"]) }
    do {
      try await console.store.closeDraft(
        draft.id, as: .discarded, by: caller.sender.description, at: console.api.clock.now())
    } catch StoreError.refused(_, let detail) {
      return try await page(caller, form, errors: ["general": detail])
    }
    return ConsoleResponse.redirect(to: "/console/drafts?notice=discarded")
  }

  /// The live count: a fragment saying whom the form reaches now, or why
  /// it would be refused.
  @Sendable func count(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    try await console.require(.send, caller, request, context)
    let form = ComposeForm(caller.form)
    do {
      let message = try await self.request(form, caller)
      let report = try await console.intake.dryRun(message)
      return ConsoleResponse.page(ComposePage.reach(report, words: caller.words))
    } catch let refusal as ComposeForm.Refusal {
      return ConsoleResponse.page(ComposePage.reachRefused(refusal.message, words: caller.words))
    } catch let error as IntakeError {
      return ConsoleResponse.page(ComposePage.reachRefused(error.message, words: caller.words))
    }
  }
}
