import Foundation

/// The confirmation page a reader opens from the link in a message: small,
/// self-contained (inline CSS, no scripts, nothing fetched), readable on a
/// phone, in the reader's language (Danish, else English). Every text from
/// the message is escaped.
enum ConfirmPageHTML {
  /// What the page says.
  enum Kind: Equatable {
    /// The message and the button (a POST to the same address).
    case ask
    /// Thanks; `late` when after the deadline.
    case confirmed(at: Date, late: Bool)
    /// The person had confirmed already.
    case already(at: Date)
    /// The link is not valid (mangled, or another key's).
    case invalid
    /// The link's time is over.
    case expired
    /// The message was withdrawn.
    case cancelled
  }

  static func render(_ kind: Kind, page: ConfirmationPage?, language: String) -> String {
    let danish = language == "da"
    func text(_ da: String, _ en: String) -> String { ReportHTML.escape(danish ? da : en) }
    let time = { (date: Date) in ReportHTML.escape(ReportText.time(date)) }
    var heading: String
    var note = ""
    switch kind {
    case .ask:
      heading = text("Bekræft, at du har læst beskeden", "Confirm that you have read the message")
      if let deadline = page?.deadline {
        note = text("Bekræft senest ", "Please confirm by ") + time(deadline)
      }
    case .confirmed(let at, let late):
      heading = text(
        "Tak. Din bekræftelse er modtaget.", "Thank you. Your confirmation is received.")
      note = text("Modtaget ", "Received ") + time(at)
      if late { note += text(" (efter fristen)", " (after the deadline)") }
    case .already(let at):
      heading = text("Du har allerede bekræftet.", "You have confirmed already.")
      note = text("Bekræftet ", "Confirmed ") + time(at)
    case .invalid:
      heading = text("Linket er ikke gyldigt.", "This link is not valid.")
      note = text(
        "Kontakt afsenderen, hvis du vil bekræfte.", "Contact the sender if you want to confirm.")
    case .expired:
      heading = text("Linket er udløbet.", "This link has expired.")
      note = text(
        "Kontakt afsenderen, hvis du vil bekræfte.", "Contact the sender if you want to confirm.")
    case .cancelled:
      heading = text("Beskeden er trukket tilbage.", "The message has been withdrawn.")
    }
    var html = head(heading, language: language)
    if !note.isEmpty { html += "<p class=\"note\">\(note)</p>\n" }
    if let page, kind == .ask || isAnswer(kind) {
      html += "<article>\n<h2>\(ReportHTML.escape(page.subject))</h2>\n"
      for paragraph in page.body.components(separatedBy: "\n\n") {
        html +=
          "<p>\(ReportHTML.escape(paragraph).replacingOccurrences(of: "\n", with: "<br/>"))</p>\n"
      }
      html += "</article>\n"
    }
    if kind == .ask {
      html += """
        <form method="post">
        <button type="submit">\(text("Jeg har læst og forstået", "I have read and understood"))</button>
        </form>

        """
    }
    return html + "</main>\n</body>\n</html>\n"
  }

  /// The page's beginning, up to its heading (escaped by the caller):
  /// shared with the approval page (`ApprovalPageHTML`).
  static func head(_ heading: String, language: String, style more: String = "") -> String {
    """
    <!DOCTYPE html>
    <html lang="\(language == "da" ? "da" : "en")">
    <head>
    <meta charset="utf-8"/>
    <meta name="viewport" content="width=device-width, initial-scale=1"/>
    <meta name="robots" content="noindex"/>
    <title>\(heading)</title>
    <style>\(style)\(more)</style>
    </head>
    <body>
    <main>
    <h1>\(heading)</h1>

    """
  }

  private static func isAnswer(_ kind: Kind) -> Bool {
    switch kind {
    case .confirmed, .already: true
    default: false
    }
  }

  static let style = """
    body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1b1f24}
    main{max-width:36rem;margin:0 auto;padding:1.25rem}
    h1{font-size:1.35rem;line-height:1.3}
    h2{font-size:1.1rem}
    article{background:#fff;border-radius:.5rem;padding:.25rem 1rem;margin:1rem 0}
    .note{color:#4a5360}
    button{width:100%;font-size:1.15rem;padding:1rem;border:0;border-radius:.5rem;background:#0b5cad;color:#fff}
    """
}
