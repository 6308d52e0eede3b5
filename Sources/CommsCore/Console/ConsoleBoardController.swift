import Foundation
import Hummingbird

/// The situation board (`/console`): the latest messages the person may
/// see with their reach per audience, the queue per lane, what is held and
/// why, dead letters and open circuit breakers. Its live part is fetched
/// again every few seconds by the console's script (`/console/board/live`);
/// without the script the page is simply loaded again.
struct ConsoleBoardController: APIController {
  let console: ConsoleEnvironment
  /// The store's counts, at most 10 seconds old (as `/metrics`).
  let counts = OncePerInterval<StoreMetricCounts>(interval: .seconds(10))

  func addRoutes(to router: Router<APIContext>) {
    router.group("/console").add(middleware: ConsoleMiddleware(console: console))
      .get(use: board)
      .get("board/live", use: live)
  }

  @Sendable func board(_ request: Request, _ context: APIContext) async throws -> Response {
    let caller = try context.person()
    let words = caller.words
    let notice = ConsoleNotice(request)
    return ConsoleResponse.page(
      try await console.frame(
        words("Overblik", "Board"), caller, .board,
        main: """
          <h1>\(words("Overblik", "Board"))</h1>
          \(ConsoleFrame.notice(notice, words))
          <div id="live" data-refresh="/console/board/live" data-every="5">
          \(try await livePart(caller))
          </div>
          """))
  }

  @Sendable func live(_ request: Request, _ context: APIContext) async throws -> Response {
    ConsoleResponse.page(try await livePart(try context.person()))
  }

  func livePart(_ caller: ConsoleCaller) async throws -> Markup {
    let store = console.store
    let counts = try await counts.value { try await store.metricCounts() }
    // Each message is a few reads, fetched again every 5 s: a person who
    // sees every audience needs only the 20 shown; others read more to
    // find 20 of their own.
    let messages = try await store.recentMessages(limit: caller.scope.audiences == nil ? 20 : 60)
      .filter { caller.sees($0.audiences.map(\.audience)) }.prefix(20)
    return BoardPage.live(
      messages: Array(messages), counts: counts,
      breakers: console.dispatcher?.breakers ?? [:], words: caller.words,
      now: console.api.clock.now(), displayName: console.displayName)
  }
}

/// A short confirmation on the page an action leads back to (`?notice=`):
/// only these, so a link cannot put words on the page.
enum ConsoleNotice: String {
  case sent, scheduled
  case awaitingApproval = "awaiting-approval"
  case cancelled, retried, approved
  case rejected, answered, closed
  case draftSaved = "draft-saved"
  case discarded
  case signedIn = "signed-in"

  /// The notice a page was sent to with (`?notice=`), if it is one of these.
  init?(_ request: Request) {
    guard let text = request.uri.queryParameters.get("notice") else { return nil }
    self.init(rawValue: String(text))
  }

  func text(_ words: Words) -> String {
    switch self {
    case .sent:
      words("Beskeden er modtaget og sendes nu.", "The message is accepted and is going out.")
    case .scheduled: words("Beskeden er planlagt.", "The message is scheduled.")
    case .awaitingApproval:
      words("Beskeden venter på godkendelse.", "The message is waiting for approval.")
    case .cancelled: words("Beskeden er trukket tilbage.", "The message is withdrawn.")
    case .retried: words("Sendes igen.", "Queued again.")
    case .approved: words("Godkendt.", "Approved.")
    case .rejected: words("Afvist.", "Rejected.")
    case .answered: words("Svaret er sendt.", "The answer is sent.")
    case .closed: words("Henvendelsen er lukket.", "The inquiry is closed.")
    case .draftSaved: words("Kladden er gemt.", "The draft is saved.")
    case .discarded: words("Kladden er kasseret.", "The draft is discarded.")
    case .signedIn: words("Du er logget ind.", "You are signed in.")
    }
  }
}

extension ConsoleEnvironment {
  /// A whole page for `caller`, with the counts of what waits for them.
  func frame(
    _ title: String, _ caller: ConsoleCaller, _ section: ConsoleFrame.Section?,
    path: String = "/console", main: Markup
  ) async throws -> Markup {
    ConsoleFrame.page(
      title, words: caller.words, caller: caller, section: section,
      waiting: try await waiting(for: caller), path: path, main: main)
  }

  /// What waits for `caller`: approvals they may give, open inquiries of
  /// their audiences, open drafts.
  func waiting(for caller: ConsoleCaller) async throws -> ConsoleFrame.Waiting {
    var waiting = ConsoleFrame.Waiting()
    if caller.may(.approve) {
      waiting.approvals =
        Set(
          try await store.awaitingApproval(limit: 200).filter { caller.covers($0.audience) }
            .map(\.messageID)
        ).count
    }
    if caller.may(.inbox) {
      waiting.inquiries = try await store.inquiries(InboxFilter()).filter(caller.sees).count
    }
    if caller.may(.send) {
      waiting.drafts = try await store.drafts().filter { caller.sees($0.content.audiences) }.count
    }
    return waiting
  }
}
