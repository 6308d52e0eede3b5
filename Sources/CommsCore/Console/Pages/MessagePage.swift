import Foundation

/// The message page: what it says, how far it reached, who decided on it,
/// its dead letters and every delivery, with the forms of what the person
/// may do. A refused act's reason is shown by its form (`errors`).
enum MessagePage {
  /// At most this many deliveries are listed (the rest are counted).
  static let deliveryRows = 300

  static func render(
    status: MessageStatus, message: Message, overview: MessageOverview?, caller: ConsoleCaller,
    notice: ConsoleNotice?, errors: [String: String], now: Date,
    displayName: @escaping (String) -> String
  ) -> Markup {
    let words = caller.words
    let csrf = ConsoleFrame.csrf(caller)
    var parts: [Markup] = []
    parts.append(ConsoleFrame.notice(notice, words))
    if status.mode != "actual" {
      parts.append(
        "<div class=\"exercise-banner\">\(words("ØVELSE", "EXERCISE")) · \(status.mode)</div>")
    }
    parts.append(heading(status, words: words, now: now, displayName: displayName))
    parts.append(actions(status, caller: caller))
    parts.append(text(message, words: words))
    if let overview {
      let rows: [Markup] = overview.audiences.map {
        BoardPage.row($0, words: words, displayName: displayName)
      }
      parts.append(
        """
        <h2>\(words("Nået", "Reach"))</h2>
        <div class="card"><table class="reach">
        \(BoardPage.header(words))
        \(rows)
        </table>
        \(unreachable(status, words: words))
        \(confirmation(status, words: words))
        </div>
        """)
    }
    if let approvals = status.approvals, !approvals.isEmpty {
      parts.append(
        approvalPart(approvals, status: status, caller: caller, errors: errors, csrf: csrf))
    }
    parts.append(deadPart(status, caller: caller, errors: errors, csrf: csrf))
    if caller.may(.cancel), status.cancelledAt == nil, status.supersededBy == nil {
      parts.append(
        """
        <h2>\(words("Træk tilbage", "Cancel"))</h2>
        <form class="stack card\(errors["cancel"] == nil ? "" : " field-error")" method="post" action="/console/messages/\(status.id)/cancel">
        \(csrf)
        <label for="cancel-reason">\(words("Begrundelse", "Reason")) <span class="hint">\(words("(kommer i revisionsloggen)", "(goes in the audit log)"))</span></label>
        <input type="text" id="cancel-reason" name="reason" maxlength="500">
        \(ConsoleFrame.fieldError(errors["cancel"]))
        <div class="checks"><label><input type="checkbox" name="notify" checked> \(words("Send en tilbagekaldelse til dem, der har fået den", "Send a retraction to those who got it"))</label></div>
        <button type="submit" class="danger" data-confirm="\(words("Træk beskeden tilbage?", "Cancel this message?"))">\(words("Træk tilbage", "Cancel message"))</button>
        </form>
        """)
    }
    parts.append(deliveries(status, words: words))
    return Markup.joined(parts)
  }

  static func heading(
    _ status: MessageStatus, words: Words, now: Date, displayName: (String) -> String
  ) -> Markup {
    var lines: [Markup] = [
      "\(words("Fra", "From")) \(status.sender) · \(ReportText.time(status.acceptedAt))",
      "\(words("Til", "To")) \(status.audiences.map(displayName).joined(separator: ", ")) · \(status.priority) · \(status.kind)",
    ]
    if let release = status.notBefore, release > now {
      lines.append("\(words("Planlagt til", "Scheduled for")) \(ReportText.time(release))")
    }
    if let expires = status.expiresAt {
      lines.append("\(words("Udløber", "Expires")) \(ReportText.time(expires))")
    }
    if let template = status.template {
      lines.append("\(words("Skabelon", "Template")): \(template)")
    }
    if let old = status.supersedes {
      lines.append(
        "\(words("Erstatter", "Supersedes")) <a href=\"/console/messages/\(old)\">\(old)</a>")
    }
    if let new = status.supersededBy {
      lines.append(
        "\(words("Erstattet af", "Superseded by")) <a href=\"/console/messages/\(new)\">\(new)</a>")
    }
    if let cancelled = status.cancelledAt {
      lines.append(
        "<span class=\"tag cancelled\">\(words("Trukket tilbage", "Cancelled")) \(ReportText.time(cancelled))</span> \(status.cancelReason ?? "")"
      )
    }
    let meta: [Markup] = lines.map { "<p class=\"meta\">\($0)</p>" }
    return """
      <h1>\(status.subject)</h1>
      \(meta)
      <p class="meta">\(status.id)</p>
      """
  }

  static func actions(_ status: MessageStatus, caller: ConsoleCaller) -> Markup {
    let words = caller.words
    var links: [Markup] = []
    if caller.may(.send), caller.may(.cancel), status.cancelledAt == nil, status.supersededBy == nil
    {
      links.append(
        "<a class=\"button secondary\" href=\"/console/compose?supersedes=\(status.id)\">\(words("Erstat med en ny", "Supersede"))</a>"
      )
    }
    if caller.may(.audit) {
      links.append(
        "<a class=\"button secondary\" href=\"/console/messages/\(status.id)/report\">\(words("Efterrapport", "After-action report"))</a>"
      )
    }
    return links.isEmpty ? "" : "<p>\(links)</p>"
  }

  static func text(_ message: Message, words: Words) -> Markup {
    let main = message.content(for: message.defaultLanguage)
    let others: [Markup] = message.contents.keys.sorted().filter { $0 != main.language }.map {
      code in
      let content = message.contents[code] ?? MessageContent(subject: "", body: "")
      return """
        <details><summary>\(code)</summary><div lang="\(code)" dir="auto">
        <h3>\(content.subject)</h3>\(Markup.paragraphs(content.body))</div></details>
        """
    }
    return """
      <div class="card" lang="\(main.language)" dir="auto">
      \(Markup.paragraphs(main.content.body))
      \(others)
      </div>
      """
  }

  static func unreachable(_ status: MessageStatus, words: Words) -> Markup {
    guard !status.recipients.unreachable.isEmpty else { return "" }
    return """
      <p class="state-unreachable">\(words("Kan ikke nås (ingen kontakt)", "Unreachable (no contact)")): \
      \(status.recipients.unreachable.joined(separator: ", "))</p>
      """
  }

  static func confirmation(_ status: MessageStatus, words: Words) -> Markup {
    guard let summary = status.confirmation else { return "" }
    let missing = summary.notConfirmed.prefix(50).map(\.name).joined(separator: ", ")
    return """
      <p>\(words("Bekræftet", "Confirmed")): <strong>\(summary.confirmed + summary.late)</strong> \
      (\(words("for sent", "late")): \(summary.late)) · \(words("frist", "deadline")) \(ReportText.time(summary.deadline))</p>
      \(missing.isEmpty ? "" : "<p class=\"meta\">\(words("Mangler", "Not yet")): \(missing)</p>" as Markup)
      """
  }

  static func approvalPart(
    _ approvals: [ApprovalRecord], status: MessageStatus, caller: ConsoleCaller,
    errors: [String: String], csrf: Markup
  ) -> Markup {
    let words = caller.words
    let rows: [Markup] = approvals.map { record in
      let votes = record.votes.filter { $0.decision == .approve }.count
      return """
        <tr><td>\(record.audience)</td><td class="state-\(record.state == .pending ? "waiting" : record.state.rawValue)">\(record.state.rawValue)</td>\
        <td class="n">\(votes) / \(record.required)</td><td>\(record.decidedBy ?? "")</td><td>\(record.reason ?? "")</td></tr>
        """
    }
    var forms: Markup = ""
    let open = approvals.filter { $0.state == .pending && caller.covers($0.audience) }
    if caller.may(.approve), !open.isEmpty {
      forms = """
        <form class="stack\(errors["approve"] == nil ? "" : " field-error")" method="post" action="/console/messages/\(status.id)/approve">
        \(csrf)
        <label for="approve-reason">\(words("Bemærkning (skal gives ved afvisning)", "Note (required to reject)"))</label>
        <input type="text" id="approve-reason" name="reason" maxlength="500">
        \(ConsoleFrame.fieldError(errors["approve"]))
        <button type="submit">\(words("Godkend", "Approve"))</button>
        <button type="submit" class="danger" formaction="/console/messages/\(status.id)/reject">\(words("Afvis", "Reject"))</button>
        </form>
        """
    }
    return """
      <h2>\(words("Godkendelse", "Approval"))</h2>
      <div class="card scroll"><table class="list">
      <tr><th>\(words("Målgruppe", "Audience"))</th><th>\(words("Status", "State"))</th><th class="n">\(words("Stemmer", "Votes"))</th>\
      <th>\(words("Besluttet af", "Decided by"))</th><th>\(words("Begrundelse", "Reason"))</th></tr>
      \(rows)
      </table>
      \(forms)
      </div>
      """
  }

  static func deadPart(
    _ status: MessageStatus, caller: ConsoleCaller, errors: [String: String], csrf: Markup
  ) -> Markup {
    let words = caller.words
    let dead = status.deliveries.filter { $0.state == "dead" }
    guard !dead.isEmpty || errors["retry"] != nil else { return "" }
    let may = caller.may(.send)
    let rows: [Markup] = dead.prefix(100).map { line in
      let button: Markup =
        may
        ? """
        <form method="post" action="/console/messages/\(status.id)/retry">\(csrf)\
        <input type="hidden" name="delivery" value="\(line.id)">\
        <button type="submit" class="secondary">\(words("Send igen", "Retry"))</button></form>
        """ : ""
      return """
        <tr data-delivery="\(line.id)"><td>\(line.recipientName)</td><td>\(line.channel)</td><td>\(line.contact)</td>\
        <td>\(line.lastError ?? "")\(line.lastStatus.map { " (\($0))" } ?? "")</td><td>\(button)</td></tr>
        """
    }
    let all: Markup =
      may && dead.count > 1
      ? """
      <form method="post" action="/console/messages/\(status.id)/retry">\(csrf)\
      <button type="submit">\(words("Send alle igen", "Retry all"))</button></form>
      """ : ""
    return """
      <h2>\(words("Døde breve", "Dead letters")) (\(dead.count))</h2>
      <div class="card scroll\(errors["retry"] == nil ? "" : " field-error")">
      \(ConsoleFrame.fieldError(errors["retry"]))
      <table class="list">
      <tr><th>\(words("Modtager", "Recipient"))</th><th>\(words("Kanal", "Channel"))</th><th>\(words("Kontakt", "Contact"))</th><th>\(words("Fejl", "Error"))</th><th></th></tr>
      \(rows)
      </table>
      \(all)
      </div>
      """
  }

  static func deliveries(_ status: MessageStatus, words: Words) -> Markup {
    let rows: [Markup] = status.deliveries.prefix(deliveryRows).map { line in
      var state = line.state
      if let reason = line.holdReason { state += " (\(reason))" }
      let when = line.receiptAt ?? line.deliveredAt ?? line.sentAt ?? line.dueAt
      return """
        <tr data-delivery="\(line.id)"><td>\(line.recipientName)</td><td>\(line.audience)</td><td>\(line.channel)</td>\
        <td class="state-\(line.state)">\(state)</td><td class="n">\(line.attempts)</td>\
        <td>\(when.map(ReportText.time) ?? "")\(line.receiptAt == nil ? "" : " ✓")</td><td class="n">\(line.wave.map(String.init) ?? "")</td></tr>
        """
    }
    let more = status.deliveries.count - deliveryRows
    return """
      <h2>\(words("Leveringer", "Deliveries")) (\(status.deliveries.count))</h2>
      <div class="scroll"><table class="list">
      <tr><th>\(words("Modtager", "Recipient"))</th><th>\(words("Målgruppe", "Audience"))</th><th>\(words("Kanal", "Channel"))</th>\
      <th>\(words("Status", "State"))</th><th class="n">\(words("Forsøg", "Attempts"))</th><th>\(words("Tid (✓ kvittering)", "Time (✓ receipt)"))</th><th class="n">\(words("Bølge", "Wave"))</th></tr>
      \(rows)
      </table></div>
      \(more > 0 ? "<p class=\"meta\">… \(words("og", "and")) \(more) \(words("flere", "more"))</p>" as Markup : "")
      """
  }

  /// The after-action report's own page inside the console's frame: its
  /// body, styled by its stylesheet scoped to the frame.
  static func report(_ report: AfterActionReport, id: String, words: Words) -> Markup {
    let html = ReportHTML.render(report)
    let body =
      html.range(of: "<body>").flatMap { start in
        html.range(of: "</body>", range: start.upperBound..<html.endIndex).map {
          String(html[start.upperBound..<$0.lowerBound])
        }
      } ?? ""
    return """
      <link rel="stylesheet" href="/console/static/report.css?v=\(ConsoleAssets.version(reportStyle))">
      <p><a class="button secondary" href="/console/messages/\(id)">← \(words("Til beskeden", "To the message"))</a></p>
      <div class="report-frame" lang="da">\(Markup(trusted: body))</div>
      """
  }

  /// The report's stylesheet with every rule limited to `.report-frame`
  /// (its `body` rule becomes the frame's), and without its print rule.
  static let reportStyle: String = ReportHTML.style.split(separator: "\n").compactMap { line in
    guard let brace = line.firstIndex(of: "{"), !line.hasPrefix("@") else { return nil }
    let selectors = line[..<brace].split(separator: ",").map {
      let selector = $0.trimmingCharacters(in: .whitespaces)
      return selector == "body" ? ".report-frame" : ".report-frame \(selector)"
    }
    return selectors.joined(separator: ", ") + " " + line[brace...]
  }.joined(separator: "\n")
}
