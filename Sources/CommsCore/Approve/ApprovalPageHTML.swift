import Foundation

/// The page an approver opens from the link in their notice: the message
/// as it would go, who wrote it and to whom, and two buttons (approve;
/// reject with a reason), each a POST to the same address. Small and
/// self-contained like the confirmation page (`ConfirmPageHTML`); every
/// text from the message is escaped.
enum ApprovalPageHTML {
  enum Kind: Equatable {
    case ask
    case decided(ApprovalDecision.Verdict, audiences: [String])
    /// The approval counted; more approvers are needed before it goes.
    case counted(votes: Int, required: Int)
    /// Nothing left for this approver: decided by others, or voted.
    case closed(summary: [String])
    case invalid
    case expired
    case withdrawn
    /// The decision was refused (their own message, …): the reason.
    case refused(String)
  }

  static func render(
    _ kind: Kind, page: ApprovalPage?, language: String, displayNames: [String: String] = [:]
  ) -> String {
    let danish = language == "da"
    func text(_ da: String, _ en: String) -> String { ReportHTML.escape(danish ? da : en) }
    func names(_ audiences: [String]) -> String {
      ReportHTML.escape(audiences.map { displayNames[$0] ?? $0 }.joined(separator: ", "))
    }
    var heading: String
    var notes: [String] = []
    switch kind {
    case .ask:
      heading = text("Godkend eller afvis beskeden", "Approve or reject the message")
    case .decided(let verdict, let audiences):
      heading =
        verdict == .approve
        ? text("Tak. Du har godkendt beskeden.", "Thank you. You have approved the message.")
        : text("Du har afvist beskeden.", "You have rejected the message.")
      notes.append(
        verdict == .approve
          ? text("Den sendes til: ", "It goes to: ") + names(audiences)
          : text("Den sendes ikke til: ", "It does not go to: ") + names(audiences))
    case .counted(let votes, let required):
      heading = text("Tak. Din godkendelse er talt med.", "Thank you. Your approval is counted.")
      notes.append(
        text("Godkendt af \(votes) af \(required): ", "Approved by \(votes) of \(required): ")
          + text(
            "beskeden sendes, når flere har godkendt.", "it goes once more have approved."))
    case .closed(let summary):
      heading = text("Der er ikke mere at tage stilling til.", "There is nothing left to decide.")
      notes += summary.map(ReportHTML.escape)
    case .invalid:
      heading = text("Linket er ikke gyldigt.", "This link is not valid.")
    case .expired:
      heading = text("Linket er udløbet.", "This link has expired.")
    case .withdrawn:
      heading = text("Beskeden er trukket tilbage.", "The message has been withdrawn.")
    case .refused(let reason):
      heading = text("Din beslutning kan ikke tages imod.", "Your decision cannot be taken.")
      notes.append(ReportHTML.escape(reason))
    }
    var html = ConfirmPageHTML.head(heading, language: language, style: style)
    for note in notes { html += "<p class=\"note\">\(note)</p>\n" }
    if let page, kind == .ask {
      let message = page.message
      let content = message.content(for: page.language).content
      html +=
        "<p class=\"note\">"
        + text("Fra ", "From ") + ReportHTML.escape(message.sender.name) + " · "
        + text("til ", "to ") + names(message.audiences) + " · "
        + ReportHTML.escape(message.priority.rawValue) + " · "
        + text("skrevet ", "written ") + ReportHTML.escape(ReportText.time(message.acceptedAt))
        + "<br/>" + text("Du tager stilling for: ", "You decide for: ")
        + names(page.open.map(\.audience)) + "</p>\n"
      html += "<article>\n<h2>\(ReportHTML.escape(content.subject))</h2>\n"
      for paragraph in content.body.components(separatedBy: "\n\n") {
        html +=
          "<p>\(ReportHTML.escape(paragraph).replacingOccurrences(of: "\n", with: "<br/>"))</p>\n"
      }
      html += "</article>\n"
      html += """
        <form method="post">
        <input type="hidden" name="decision" value="approve"/>
        <button type="submit" id="approve">\(text("Godkend", "Approve"))</button>
        </form>
        <form method="post" class="reject">
        <input type="hidden" name="decision" value="reject"/>
        <label for="reason">\(text("Begrundelse for at afvise", "Reason to reject"))</label>
        <textarea id="reason" name="reason" maxlength="500" required></textarea>
        <button type="submit" id="reject">\(text("Afvis", "Reject"))</button>
        </form>

        """
    }
    return html + "</main>\n</body>\n</html>\n"
  }

  static let style = """
    .reject{margin-top:1.5rem}
    .reject button{background:#a4262c}
    label{display:block;margin-bottom:.25rem}
    textarea{width:100%;box-sizing:border-box;min-height:4rem;font:inherit;margin-bottom:.5rem}
    """
}
