import Foundation

/// The lists of what waits for the person (approvals, inbox, drafts) and
/// the page of one inquiry with its answer form.
enum WorkPages {
  static func approvals(
    _ messages: [(MessageOverview, [ApprovalRecord])], words: Words,
    displayName: (String) -> String
  ) -> Markup {
    let cards: [Markup] = messages.map { overview, records in
      let audiences = records.map { displayName($0.audience) }.joined(separator: ", ")
      return """
        <article class="card" data-message="\(overview.id)">
        <h3><a href="/console/messages/\(overview.id)">\(overview.subject)</a></h3>
        <p class="meta"><span class="tag \(overview.priority)">\(overview.priority)</span> \(ReportText.time(overview.acceptedAt)) · \(overview.sender)</p>
        <p>\(words("Venter på din godkendelse for", "Waiting for your approval for")): \(audiences)</p>
        <a class="button" href="/console/messages/\(overview.id)">\(words("Læs og beslut", "Read and decide"))</a>
        </article>
        """
    }
    return """
      <h1>\(words("Venter på godkendelse", "Awaiting approval"))</h1>
      \(cards.isEmpty ? "<p class=\"meta\">\(words("Intet venter på dig.", "Nothing waits for you."))</p>" as Markup : Markup.joined(cards))
      """
  }

  static func inbox(
    _ inquiries: [Inquiry], words: Words, notice: ConsoleNotice?, displayName: (String) -> String
  ) -> Markup {
    let rows: [Markup] = inquiries.map { inquiry in
      let who = inquiry.recipientName ?? inquiry.fromName ?? inquiry.from
      return """
        <article class="card" data-inquiry="\(inquiry.id)">
        <h3><a href="/console/inquiries/\(inquiry.id)">\(who)</a></h3>
        <p class="meta">\(ReportText.time(inquiry.receivedAt)) · \(inquiry.channel.rawValue)\
        \(inquiry.audience.map { " · \(displayName($0))" } ?? "")\(inquiry.assignee.map { " · → \($0)" } ?? "")</p>
        <p dir="auto">\(String(inquiry.text.prefix(300)))</p>
        </article>
        """
    }
    return """
      <h1>\(words("Åbne henvendelser", "Open inquiries"))</h1>
      \(ConsoleFrame.notice(notice, words))
      \(rows.isEmpty ? "<p class=\"meta\">\(words("Ingen åbne henvendelser.", "No open inquiries."))</p>" as Markup : Markup.joined(rows))
      """
  }

  static func inquiry(
    _ detail: InquiryDetail, caller: ConsoleCaller, notice: ConsoleNotice?,
    errors: [String: String], text: String, displayName: (String) -> String
  ) -> Markup {
    let words = caller.words
    let inquiry = detail.inquiry
    let csrf = ConsoleFrame.csrf(caller)
    let who = inquiry.recipientName ?? inquiry.fromName ?? inquiry.from
    var facts: [Markup] = [
      "\(words("Fra", "From")) \(who) · \(inquiry.channel.rawValue) · \(ReportText.time(inquiry.receivedAt))"
    ]
    if let audience = inquiry.audience {
      facts.append("\(words("Målgruppe", "Audience")): \(displayName(audience))")
    }
    if let subject = detail.bulletinSubject, let id = inquiry.messageID {
      facts.append(
        "\(words("Svar på", "About")) <a href=\"/console/messages/\(id)\">\(subject)</a>")
    }
    facts.append("\(words("Status", "State")): \(inquiry.state.rawValue)")
    if let by = inquiry.answeredBy { facts.append("\(words("Besvaret af", "Answered by")) \(by)") }
    let meta: [Markup] = facts.map { "<p class=\"meta\">\($0)</p>" }
    var forms: Markup = ""
    if inquiry.pseudonymisedAt == nil {
      let again: Markup =
        inquiry.state == .open
        ? ""
        : "<div class=\"checks\"><label><input type=\"checkbox\" name=\"again\"> \(words("Send et svar mere", "Send another answer"))</label></div>"
      forms = """
        <form class="stack card\(errors["text"] == nil ? "" : " field-error")" method="post" action="/console/inquiries/\(inquiry.id)/answer">
        \(csrf)
        <label for="answer-text">\(words("Svar", "Answer")) <span class="hint">(\(inquiry.language))</span></label>
        <textarea id="answer-text" name="text" dir="auto">\(text)</textarea>
        \(ConsoleFrame.fieldError(errors["text"]))
        \(again)
        <button type="submit">\(words("Send svar", "Send answer"))</button>
        </form>
        """
      if inquiry.state == .open {
        forms += """
          <form class="stack card\(errors["reason"] == nil ? "" : " field-error")" method="post" action="/console/inquiries/\(inquiry.id)/close">
          \(csrf)
          <label for="close-reason">\(words("Luk uden svar, fordi", "Close without an answer, because"))</label>
          <input type="text" id="close-reason" name="reason" maxlength="500">
          \(ConsoleFrame.fieldError(errors["reason"]))
          <button type="submit" class="secondary">\(words("Luk", "Close"))</button>
          </form>
          """
      }
    }
    return """
      <h1>\(words("Henvendelse", "Inquiry"))</h1>
      \(ConsoleFrame.notice(notice, words))
      \(meta)
      <div class="card" dir="auto" lang="\(inquiry.language)">\(Markup.paragraphs(inquiry.text))</div>
      \(forms)
      """
  }

  static func drafts(
    _ drafts: [Draft], words: Words, notice: ConsoleNotice?, language: String,
    displayName: (String) -> String
  ) -> Markup {
    let cards: [Markup] = drafts.map { draft in
      let audiences = draft.content.audiences.map(displayName).joined(separator: ", ")
      return """
        <article class="card" data-draft="\(draft.id)">
        <h3><a href="/console/compose?draft=\(draft.id)">\(draft.content.subject(in: language))</a></h3>
        <p class="meta">\(audiences) · \(draft.content.priority.rawValue)\(draft.content.template.map { " · \($0)" } ?? "")</p>
        <p class="meta">\(words("Skrevet af", "Drafted by")) \(draft.createdBy) · \(ReportText.time(draft.updatedAt)) · rev. \(draft.revision)</p>
        <a class="button" href="/console/compose?draft=\(draft.id)">\(words("Åbn", "Open"))</a>
        </article>
        """
    }
    return """
      <h1>\(words("Kladder", "Drafts"))</h1>
      \(ConsoleFrame.notice(notice, words))
      \(cards.isEmpty ? "<p class=\"meta\">\(words("Ingen åbne kladder.", "No open drafts."))</p>" as Markup : Markup.joined(cards))
      """
  }
}
