import ArgumentParser
import CommsCore
import Foundation

/// `commsd inbox`: the questions and replies that came back (inquiries),
/// for the people who answer them.
struct Inbox: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "The questions that came back: list, show, answer, assign, close.",
    discussion: """
      A reply by SMS, by email (commsd mailgate) or from a hook becomes an \
      inquiry (inq_…) matched to the person and the bulletin it answers, and \
      is copied to the handlers of the person's audience \
      ([audiences.NAME.inbound] route). An answer goes to that one person, \
      on the channel they used, and closes the inquiry.
      """,
    subcommands: [
      InboxList.self, InboxShow.self, InboxAnswer.self, InboxAssign.self, InboxClose.self,
    ])

  /// The inquiry id argument, checked.
  static func inquiryID(_ text: String, command: String) throws -> InquiryID {
    guard InquiryID.isWellFormed(text) else {
      printError("\(command): \"\(Printable.quoted(text))\" is not an inquiry id (inq_…)")
      throw ExitCode(65)
    }
    return InquiryID(rawValue: text)
  }

  /// Runs a change, with a refusal (no such inquiry, already answered)
  /// printed and exit 65.
  /// The store, once the operator's `inbox` right (over the inquiry's
  /// audience, when it has one) is established (`Mandate`).
  static func openStore(_ settings: HandOverSettings, command: String, inquiry: InquiryID? = nil)
    async throws -> any Store
  {
    let store = try Cancel.openStore(settings, command: command)
    guard settings.operators.isEnforced else { return store }
    var audiences: [String] = []
    if let inquiry, let audience = try await store.inquiryDetail(inquiry)?.inquiry.audience {
      audiences = [audience]
    }
    try await Mandate.require(
      .inbox, over: audiences, settings: settings, store: store, command: command)
    return store
  }

}

struct InboxList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List inquiries, newest first (open ones unless told).")

  @OptionGroup var options: ConfigOption

  @Option(help: "Only this state: open, answered or closed.")
  var state: String?

  @Flag(help: "Every state.")
  var all = false

  @Option(help: "Only questions from this audience's people.")
  var audience: String?

  @Flag(help: "Only questions from senders commsd does not know.")
  var unmatched = false

  @Option(help: ArgumentHelp("Only those assigned to NAME.", valueName: "NAME"))
  var assignee: String?

  @Option(help: "At most this many.")
  var limit = 200

  @Flag(help: "Print JSON for scripts.")
  var json = false

  func run() async throws {
    var states: Set<Inquiry.State> = all ? [] : [.open]
    if let state {
      guard let parsed = Inquiry.State(rawValue: state) else {
        printError("commsd inbox list: --state: expected open, answered or closed")
        throw ExitCode(65)
      }
      states = [parsed]
    }
    let store = try await Inbox.openStore(try options.handOver(), command: "commsd inbox list")
    let inquiries = try await store.inquiries(
      InboxFilter(
        states: states, audience: audience, unmatchedOnly: unmatched, assignee: assignee,
        limit: min(max(limit, 1), 10_000)))
    if json {
      print(InquiryJSON.array(inquiries))
      return
    }
    guard !inquiries.isEmpty else {
      print(all || state != nil ? "no inquiries" : "no open inquiries")
      return
    }
    print(
      "ID                              RECEIVED          STATE     FROM                      ABOUT               TEXT"
    )
    for inquiry in inquiries {
      let who =
        inquiry.recipientName.map { "\($0) (\(inquiry.recipientID ?? ""))" } ?? "? \(inquiry.from)"
      let about =
        inquiry.bulletin.map { "\(inquiry.audience ?? "") #\($0)" } ?? (inquiry.audience ?? "-")
      print(
        [
          inquiry.id.rawValue.padding(toLength: 32, withPad: " ", startingAt: 0),
          LocalTime.format(inquiry.receivedAt).padding(toLength: 18, withPad: " ", startingAt: 0),
          inquiry.state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0),
          Printable.quoted(who, limit: 24).padding(toLength: 26, withPad: " ", startingAt: 0),
          Printable.quoted(about, limit: 18).padding(toLength: 20, withPad: " ", startingAt: 0),
          Printable.quoted(inquiry.text, limit: 60),
        ].joined())
    }
  }
}

struct InboxShow: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "One inquiry: the question, who asked, what it answers, and its answer.")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The inquiry id (inq_…).")
  var inquiry: String

  @Flag(help: "Print JSON for scripts.")
  var json = false

  func run() async throws {
    let id = try Inbox.inquiryID(inquiry, command: "commsd inbox show")
    let store = try await Inbox.openStore(
      try options.handOver(), command: "commsd inbox show", inquiry: id)
    guard let detail = try await store.inquiryDetail(id) else {
      printError("commsd inbox show: no inquiry \(id)")
      throw ExitCode(65)
    }
    if json {
      print(InquiryJSON.object(detail.inquiry))
      return
    }
    let inquiry = detail.inquiry
    var lines = [
      "\(inquiry.id)  \(inquiry.state.rawValue.uppercased())  \(inquiry.channel.rawValue) via \(inquiry.source)",
      "received  \(LocalTime.format(inquiry.receivedAt)) from \(Printable.quoted(inquiry.from))",
    ]
    if let name = inquiry.recipientName {
      var person = "person    \(Printable.quoted(name)) (\(inquiry.recipientID ?? ""))"
      if let unit = inquiry.unit { person += ", unit \(unit)" }
      person += ", language \(inquiry.language)"
      lines.append(person)
    } else {
      lines.append("person    unknown to commsd (unmatched)")
    }
    if let message = inquiry.messageID {
      let bulletin = inquiry.bulletin.map { " #\($0)" } ?? ""
      let subject = detail.bulletinSubject.map { " \"\(Printable.quoted($0))\"" } ?? ""
      lines.append(
        "answers   \(inquiry.audience ?? "")\(bulletin) \(message)\(subject) (by \(inquiry.match.rawValue))"
      )
    }
    if let assignee = inquiry.assignee { lines.append("assigned  \(Printable.quoted(assignee))") }
    for forward in detail.forwards {
      lines.append("routed    \(forward.route): \(forward.state)")
    }
    if inquiry.acknowledgementID != nil { lines.append("acknowledged to the sender") }
    if let subject = inquiry.subject, !subject.isEmpty {
      lines.append("subject   \(Printable.quoted(subject))")
    }
    lines.append("")
    lines.append(Printable.lines(inquiry.text))
    lines.append("")
    if let answered = inquiry.answeredAt {
      lines.append(
        "ANSWERED \(LocalTime.format(answered)) by \(inquiry.answeredBy ?? "?") as \(inquiry.answerMessageID?.rawValue ?? "?") (\(detail.answerState ?? "?"))"
      )
    }
    if let closed = inquiry.closedAt {
      lines.append(
        "CLOSED \(LocalTime.format(closed)) by \(inquiry.closedBy ?? "?"): \(Printable.quoted(inquiry.closeReason ?? ""))"
      )
    }
    if inquiry.pseudonymisedAt != nil {
      lines.append("past the retention period: text and addresses are hashed")
    }
    print(lines.joined(separator: "\n"))
  }
}

struct InboxAnswer: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "answer",
    abstract: "Answer the person who asked, on the channel they used; closes the inquiry.")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The inquiry id (inq_…).")
  var inquiry: String

  @Option(help: "The answer, as the person reads it (an SMS for an SMS question).")
  var text: String

  @Option(help: "The language the answer is written in (default: the configuration's).")
  var language: String?

  @Flag(help: "Send another answer to an inquiry already answered or closed.")
  var again = false

  @Flag(help: "Print JSON for scripts.")
  var json = false

  func run() async throws {
    let command = "commsd inbox answer"
    let id = try Inbox.inquiryID(inquiry, command: command)
    let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard (1...4000).contains(text.count) else {
      printError("\(command): --text: give 1 to 4,000 characters")
      throw ExitCode(65)
    }
    let configuration = try options.load()
    let language = language ?? configuration.defaultLanguage
    guard Intake.isLanguageCode(language) else {
      printError(
        "\(command): --language: \"\(Printable.quoted(language))\" is not a language code such as da or ar"
      )
      throw ExitCode(65)
    }
    let store = try await Inbox.openStore(
      HandOverSettings(configuration), command: command, inquiry: id)
    if let detail = try await store.inquiryDetail(id), detail.inquiry.channel == .sms,
      let endpoint = configuration.endpoints[detail.inquiry.source]
    {
      let segments = SMSSegments(text)
      guard segments.count <= endpoint.maxSMSSegments else {
        printError(
          "\(command): --text is \(segments.count) SMS parts; \(endpoint.name) sends at most \(endpoint.maxSMSSegments): shorten it"
        )
        throw ExitCode(65)
      }
    }
    let sent = try await refusingStore(command) {
      try await store.answerInquiry(
        id, text: text, language: language, sender: OperatorIdentity.current(), again: again,
        directory: configuration.directory, at: SystemClock().now())
    }
    WakeSocket.ring(path: configuration.wakeSocketPath)
    if json {
      print(
        JSONWriter.object([
          "inquiry": id.rawValue, "message": sent.message.rawValue,
          "delivery": sent.delivery.rawValue,
        ]))
    } else {
      print("\(id) answered as \(sent.message) (delivery \(sent.delivery))")
    }
  }
}

struct InboxAssign: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "assign", abstract: "Give an inquiry to a handler (or take it back with --none).")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The inquiry id (inq_…).")
  var inquiry: String

  @Option(help: ArgumentHelp("The handler's name.", valueName: "NAME"))
  var to: String?

  @Flag(help: "Assigned to nobody.")
  var none = false

  func run() async throws {
    let command = "commsd inbox assign"
    let id = try Inbox.inquiryID(inquiry, command: command)
    guard (to != nil) != none else {
      printError("\(command): give --to NAME, or --none")
      throw ExitCode(65)
    }
    if let to, !(1...100).contains(to.count) || to.contains(where: \.isNewline) {
      printError("\(command): --to: give a name of 1 to 100 characters on one line")
      throw ExitCode(65)
    }
    let store = try await Inbox.openStore(try options.handOver(), command: command, inquiry: id)
    try await refusingStore(command) {
      try await store.assignInquiry(
        id, to: to, by: OperatorIdentity.current().description, at: SystemClock().now())
    }
    print(to.map { "\(id) assigned to \($0)" } ?? "\(id) assigned to nobody")
  }
}

struct InboxClose: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "close",
    abstract:
      "Close an inquiry without an answer through commsd (answered by phone, nothing to answer).")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The inquiry id (inq_…).")
  var inquiry: String

  @Option(help: "Why, e.g. \"answered by phone 10:42\".")
  var reason: String

  func run() async throws {
    let command = "commsd inbox close"
    let id = try Inbox.inquiryID(inquiry, command: command)
    let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
    guard (1...500).contains(reason.count), !reason.contains(where: \.isNewline) else {
      printError("\(command): --reason: give one line of 1 to 500 characters")
      throw ExitCode(65)
    }
    let store = try await Inbox.openStore(try options.handOver(), command: command, inquiry: id)
    try await refusingStore(command) {
      try await store.closeInquiry(
        id, reason: reason, by: OperatorIdentity.current().description, at: SystemClock().now())
    }
    print("\(id) closed")
  }
}
