import Foundation
import Hummingbird

/// What waits for the person: messages for their approval, questions to
/// answer (`/console/inbox`, one inquiry at `/console/inquiries/{id}`),
/// and open drafts to finish. Answering and closing go through the
/// store's steps under the person's name, as `commsd inbox` does.
struct ConsoleWorkController: APIController {
  let console: ConsoleEnvironment

  func addRoutes(to router: Router<APIContext>) {
    let group = router.group("/console").add(middleware: ConsoleMiddleware(console: console))
    group.get("approvals", use: approvals)
    group.get("inbox", use: inbox)
    group.get("drafts", use: drafts)
    group.get("inquiries/:id", use: inquiry)
    group.post("inquiries/:id/answer", use: answer)
    group.post("inquiries/:id/close", use: close)
  }

  @Sendable func approvals(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    try await console.require(.approve, caller, request, context)
    let records = try await console.store.awaitingApproval(limit: 200).filter {
      caller.covers($0.audience)
    }
    var messages: [(MessageOverview, [ApprovalRecord])] = []
    for (id, group) in Dictionary(grouping: records, by: \.messageID) {
      if let overview = try await console.store.overview(of: id) {
        messages.append((overview, group))
      }
    }
    messages.sort { $0.0.acceptedAt > $1.0.acceptedAt }
    return ConsoleResponse.page(
      try await console.frame(
        caller.words("Godkend", "Approvals"), caller, .approvals, path: "/console/approvals",
        main: WorkPages.approvals(messages, words: caller.words, displayName: console.displayName)))
  }

  @Sendable func inbox(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    try await console.require(.inbox, caller, request, context)
    let open = try await console.store.inquiries(InboxFilter()).filter(caller.sees)
    return ConsoleResponse.page(
      try await console.frame(
        caller.words("Indbakke", "Inbox"), caller, .inbox, path: "/console/inbox",
        main: WorkPages.inbox(
          open, words: caller.words, notice: ConsoleNotice(request),
          displayName: console.displayName)))
  }

  @Sendable func drafts(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    try await console.require(.send, caller, request, context)
    let open = try await console.store.drafts().filter { caller.sees($0.content.audiences) }
    return ConsoleResponse.page(
      try await console.frame(
        caller.words("Kladder", "Drafts"), caller, .drafts, path: "/console/drafts",
        main: WorkPages.drafts(
          open, words: caller.words, notice: ConsoleNotice(request),
          language: console.configuration.defaultLanguage, displayName: console.displayName)))
  }

  /// The inquiry in the path, if the person may see it; else 404.
  private func visible(_ context: APIContext, _ caller: ConsoleCaller) async throws
    -> InquiryDetail
  {
    let id = context.parameters.get("id") ?? ""
    guard InquiryID.isWellFormed(id),
      let detail = try await console.store.inquiryDetail(InquiryID(rawValue: id)),
      caller.sees(detail.inquiry)
    else {
      throw Problem(
        .notFound,
        caller.words("Ingen henvendelse \(id.prefix(40)).", "No inquiry \(id.prefix(40))."))
    }
    return detail
  }

  @Sendable func inquiry(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    try await console.require(.inbox, caller, request, context)
    return try await inquiryPage(context, caller, notice: ConsoleNotice(request))
  }

  private func inquiryPage(
    _ context: APIContext, _ caller: ConsoleCaller, notice: ConsoleNotice? = nil,
    errors: [String: String] = [:], text: String = ""
  ) async throws -> Response {
    let detail = try await visible(context, caller)
    return ConsoleResponse.page(
      try await console.frame(
        caller.words("Henvendelse", "Inquiry"), caller, .inbox,
        path: "/console/inquiries/\(detail.inquiry.id)",
        main: WorkPages.inquiry(
          detail, caller: caller, notice: notice, errors: errors, text: text,
          displayName: console.displayName)),
      status: errors.isEmpty ? .ok : .unprocessableContent)
  }

  @Sendable func answer(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    try await console.require(.inbox, caller, request, context)
    let inquiry = try await visible(context, caller).inquiry
    let text = (caller.form["text"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    guard (1...4000).contains(text.count) else {
      return try await inquiryPage(
        context, caller,
        errors: ["text": caller.words("Skriv 1 til 4.000 tegn.", "Write 1 to 4,000 characters.")],
        text: text)
    }
    do {
      _ = try await console.store.answerInquiry(
        inquiry.id, text: text, language: inquiry.language, sender: caller.sender,
        again: caller.form["again"] == "on", directory: console.intake.directory.current,
        at: console.api.clock.now())
    } catch StoreError.refused(_, let detail) {
      return try await inquiryPage(context, caller, errors: ["text": detail], text: text)
    }
    console.intake.dispatcher.workArrived()
    return ConsoleResponse.redirect(to: "/console/inquiries/\(inquiry.id)?notice=answered")
  }

  @Sendable func close(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    try await console.require(.inbox, caller, request, context)
    let inquiry = try await visible(context, caller).inquiry
    let reason = (caller.form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    guard (1...500).contains(reason.count), !reason.contains(where: \.isNewline) else {
      return try await inquiryPage(
        context, caller,
        errors: [
          "reason": caller.words(
            "Skriv en linje på 1 til 500 tegn.", "Give one line of 1 to 500 characters.")
        ])
    }
    do {
      try await console.store.closeInquiry(
        inquiry.id, reason: reason, by: caller.sender.description, at: console.api.clock.now())
    } catch StoreError.refused(_, let detail) {
      return try await inquiryPage(context, caller, errors: ["reason": detail])
    }
    return ConsoleResponse.redirect(to: "/console/inbox?notice=closed")
  }
}
