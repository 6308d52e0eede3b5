/// The frame of every console page: the head (the console's own stylesheet
/// and script, nothing else), a header with what the person may use and
/// how many things wait for them, the page, and a footer with the
/// language switch.
enum ConsoleFrame {
  enum Section: String, Sendable {
    case board, compose, approvals, inbox, drafts, signIn
  }

  /// What waits for the person, shown as counts in the header.
  struct Waiting: Sendable {
    var approvals = 0
    var inquiries = 0
    var drafts = 0
  }

  static func page(
    _ title: String, words: Words, caller: ConsoleCaller?, section: Section?,
    waiting: Waiting = Waiting(), path: String = "/console", main: Markup
  ) -> Markup {
    """
    <!doctype html>
    <html lang="\(words.language)">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="same-origin">
    <title>\(title) · commsd</title>
    <link rel="stylesheet" href="/console/static/console.css?v=\(ConsoleAssets.cssVersion)">
    <script src="/console/static/console.js?v=\(ConsoleAssets.jsVersion)" defer></script>
    </head>
    <body>
    \(header(words: words, caller: caller, section: section, waiting: waiting))
    <main>
    \(main)
    </main>
    <footer>
    \(footer(words: words, path: path))
    </footer>
    </body>
    </html>

    """
  }

  static func header(words: Words, caller: ConsoleCaller?, section: Section?, waiting: Waiting)
    -> Markup
  {
    guard let caller else {
      return "<header><span class=\"brand\">commsd</span></header>"
    }
    func link(_ target: Section, _ href: String, _ label: String, count: Int = 0) -> Markup {
      let badge: Markup = count > 0 ? "<span class=\"count\">\(count)</span>" : ""
      let current: Markup = target == section ? " class=\"current\" aria-current=\"page\"" : ""
      return "<a href=\"\(href)\"\(current)>\(label)\(badge)</a>"
    }
    var links: [Markup] = [link(.board, "/console", words("Overblik", "Board"))]
    if caller.may(.send) {
      links.append(link(.compose, "/console/compose", words("Ny besked", "Compose")))
      links.append(
        link(.drafts, "/console/drafts", words("Kladder", "Drafts"), count: waiting.drafts))
    }
    if caller.may(.approve) {
      links.append(
        link(
          .approvals, "/console/approvals", words("Godkend", "Approvals"),
          count: waiting.approvals))
    }
    if caller.may(.inbox) {
      links.append(
        link(.inbox, "/console/inbox", words("Indbakke", "Inbox"), count: waiting.inquiries))
    }
    return """
      <header>
      <span class="brand">commsd</span>
      <nav>\(links)</nav>
      <form method="post" action="/console/sign-out">
      <input type="hidden" name="csrf" value="\(caller.session.csrf)">
      <button type="submit" title="\(caller.session.displayName)">\(words("Log ud", "Sign out")) · \(caller.person)</button>
      </form>
      </header>
      """
  }

  static func footer(words: Words, path: String) -> Markup {
    let next = FormBody.encode(ConsoleResponse.safeNext(path))
    return """
      <a href="/console/language?to=da&amp;next=\(next)" lang="da">Dansk</a> ·
      <a href="/console/language?to=en&amp;next=\(next)" lang="en">English</a>
      """
  }

  /// The hidden CSRF field every form carries.
  static func csrf(_ caller: ConsoleCaller) -> Markup {
    "<input type=\"hidden\" name=\"csrf\" value=\"\(caller.session.csrf)\">"
  }

  /// What an action just did, at the top of the page it led to.
  static func notice(_ notice: ConsoleNotice?, _ words: Words) -> Markup {
    guard let notice else { return "" }
    return "<div class=\"notice\" role=\"status\">\(notice.text(words))</div>"
  }

  /// An error shown by the field it concerns.
  static func fieldError(_ message: String?) -> Markup {
    guard let message else { return "" }
    return "<p class=\"error\" role=\"alert\">\(message)</p>"
  }

  /// A page saying what went wrong, with the way back.
  static func problem(
    _ heading: String, _ detail: String, words: Words, caller: ConsoleCaller?
  ) -> Markup {
    page(
      heading, words: words, caller: caller, section: nil,
      main: """
        <h1>\(heading)</h1>
        <div class="alert">\(detail)</div>
        <p><a class="button secondary" href="/console">\(words("Til overblikket", "To the board"))</a></p>
        """)
  }
}
