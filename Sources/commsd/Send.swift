import ArgumentParser
import CommsCore
import Foundation

/// `commsd send`: queue a message for one or more audiences.
struct Send: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Queue a message; prints its id once it is durable.",
    discussion: """
      The first line of output is the message id. The command exits 0 only \
      after the message is on disk; the daemon then plans and sends it.

      Each recipient gets the message in their own language when it has one, \
      else in the default language. Give other languages with --subject-in, \
      --body-in or --body-file-in, e.g. --subject-in en="Visiting ban" \
      --body-file-in en=ban.en.txt --subject-in ar=… --body-file-in ar=ban.ar.txt

      With --cap FILE, a CAP 1.2 alert gives everything instead: an Alert or \
      Update is sent to the audiences [cap.audiences] maps it to (an Update \
      supersedes the alert it updates), a Cancel withdraws the alerts it \
      names and tells those who got them (as `commsd cancel --notify`).
      """)

  @OptionGroup var options: ConfigOption

  @Option(help: ArgumentHelp("Audiences, comma-separated (e.g. staff,police).", valueName: "A,B"))
  var audience: String?

  @OptionGroup var selection: WhereOption
  @OptionGroup var confirmation: ConfirmOptions

  @Option(help: "flash, urgent, normal (the default) or bulk.")
  var priority: Priority?

  @Option(help: "alert (the default), update, process or all-clear.")
  var kind: MessageKind?

  @Option(help: "The subject line, in the default language.")
  var subject: String?

  @Option(help: "The message body, in the default language.")
  var body: String?

  @Option(
    name: .customLong("body-file"),
    help: ArgumentHelp("Read the body from FILE ('-' for standard input).", valueName: "FILE"))
  var bodyFile: String?

  @Option(
    name: .customLong("subject-in"),
    help: ArgumentHelp("The subject in another language.", valueName: "LANG=TEXT"))
  var subjectsIn: [String] = []

  @Option(
    name: .customLong("body-in"),
    help: ArgumentHelp("The body in another language.", valueName: "LANG=TEXT"))
  var bodiesIn: [String] = []

  @Option(
    name: .customLong("body-file-in"),
    help: ArgumentHelp("Read the body in another language from FILE.", valueName: "LANG=FILE"))
  var bodyFilesIn: [String] = []

  @Option(
    name: .customLong("sms-body"),
    help: ArgumentHelp(
      "The text SMS readers get, in the default language, instead of a shortened rendering (subject, first paragraph, the footer's link or phone). Refused when it takes more SMS than the endpoints allow (max_sms_segments).",
      valueName: "TEXT"))
  var smsBody: String?

  @Option(
    name: .customLong("sms-body-in"),
    help: ArgumentHelp("The SMS text in another language.", valueName: "LANG=TEXT"))
  var smsBodiesIn: [String] = []

  @Option(
    name: .customLong("idempotency-key"),
    help: "Sending twice with the same key queues the message once.")
  var idempotencyKey: String?

  @Option(
    help: ArgumentHelp(
      "Replace an earlier message: its copies not yet sent are withdrawn, and readers who got it see this one as an update to it.",
      valueName: "ID"))
  var supersedes: String?

  @Option(
    help: ArgumentHelp(
      "Withdraw the copies not delivered by then (RFC 3339, e.g. 2026-11-25T18:00:00+01:00, or a duration such as 2h).",
      valueName: "TIME"))
  var expires: String?

  @Option(
    help:
      "actual (the default), exercise or test; an exercise or test is marked [ØVELSE] or [TEST] to every reader."
  )
  var mode: MessageMode?

  @Flag(
    help:
      "Show a live progress bar per audience until every copy is final (Ctrl-C stops watching; the message goes on)."
  )
  var wait = false

  @Flag(help: "Print JSON for scripts: {\"id\": …, \"outcome\": \"accepted\" or \"duplicate\"}.")
  var json = false

  @Flag(
    name: .customLong("dry-run"),
    help:
      "Queue nothing: show per audience, language and channel what each kind of reader would get (subject, text, SMS segments), who would be held and why, and who cannot be reached."
  )
  var dryRun = false

  @Option(
    name: .customLong("cap"),
    help: ArgumentHelp(
      "Send, update or cancel as the CAP 1.2 alert in FILE ('-' for standard input) says.",
      valueName: "FILE"))
  var capFile: String?

  func validate() throws {
    if dryRun, capFile != nil || wait {
      throw ValidationError(
        "--dry-run queues nothing: leave out \(capFile != nil ? "--cap" : "--wait")")
    }
    if capFile != nil {
      try validateCAP()
      return
    }
    if audience == nil || subject == nil {
      throw ValidationError(
        "give --audience and --subject with the body, or a CAP alert with --cap FILE")
    }
    if body == nil && bodyFile == nil {
      throw ValidationError("give the body with --body TEXT or --body-file FILE")
    }
    if body != nil && bodyFile != nil {
      throw ValidationError("give either --body or --body-file, not both")
    }
    if let idempotencyKey, CAPIntake.isReservedKey(idempotencyKey) {
      throw ValidationError(
        "--idempotency-key: keys starting with cap:, cap-sha256: or api: are kept for CAP alerts and API tokens; choose another"
      )
    }
  }

  func run() async throws {
    // Only what reaches the daemon: it validates the request against its
    // own configuration. The whole configuration is loaded only when no
    // daemon runs (`acceptDirectly`).
    let settings = try options.handOver()
    if let capFile {
      try await sendCAP(capFile, settings)
      return
    }
    var request = SendRequest(
      audiences: (audience ?? "").split(separator: ",").map {
        $0.trimmingCharacters(in: .whitespaces)
      },
      priority: priority ?? .normal, kind: kind ?? .alert,
      contents: try contents(defaultLanguage: settings.defaultLanguage),
      idempotencyKey: idempotencyKey, sender: OperatorIdentity.current(),
      filter: try selection.filter(command: "commsd send"),
      supersedes: supersedes.map(MessageID.init(rawValue:)), expiresAt: try expiry(),
      mode: mode ?? .actual, confirmation: try confirmationRequest())
    request.declinesConfirmation = confirmation.noConfirm
    if dryRun {
      try await preview(request)
      return
    }
    try await submit(request, settings)
  }

  /// `--dry-run`: the report of what `request` would do, from this
  /// process's reading of the configuration and the store (read only).
  private func preview(_ request: SendRequest) async throws {
    let configuration = try options.load()
    let store: any Store
    do {
      store = try configuration.openStore(for: .reading)
    } catch {
      printError("commsd send: cannot open the store \(configuration.storeDescription): \(error)")
      throw ExitCode.failure
    }
    let report: DryRunReport
    do {
      report = try await DryRun.report(
        request, intake: Intake(configuration: configuration, store: store))
    } catch let error as IntakeError {
      printError("commsd send: \(error)")
      throw ExitCode(65)
    }
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    } else {
      print(report.text)
    }
  }

  /// Hands `request` to intake and prints the outcome; `duplicate` says why
  /// a repeated request was not queued again.
  func submit(
    _ request: SendRequest, _ settings: HandOverSettings,
    duplicate: String = "already accepted earlier under this idempotency key; not queued again"
  ) async throws {
    // The running daemon takes the request if there is one (see IntakeSocket);
    // otherwise this process loads the whole configuration, validates, writes
    // the store and rings the daemon's bell.
    let outcome: IntakeWire.Response
    do {
      switch try IntakeClient.submit(request, socketPath: settings.intakeSocketPath) {
      case .answered(let response): outcome = response
      case .daemonNotRunning: outcome = try await acceptDirectly(request, try options.load())
      }
    } catch let error as IntakeClient.LostAnswer {
      printError("commsd send: \(error)")
      throw ExitCode(75)  // EX_TEMPFAIL
    }
    switch outcome {
    case .accepted(let id, let warnings, let awaiting):
      printOutcome(id, "accepted", warnings: warnings, awaitingApproval: awaiting)
      for warning in warnings { printError("commsd send: warning: \(warning)") }
      if !awaiting.isEmpty {
        printError(
          "commsd send: \(id) awaiting approval for \(awaiting.joined(separator: ", ")): nothing goes to them until approved (commsd status \(id))"
        )
      }
      if wait { try await watch(id, configPath: settings.file) }
    case .duplicate(let id):
      printOutcome(id, "duplicate")
      printError("commsd send: \(duplicate)")
      if wait { try await watch(id, configPath: settings.file) }
    case .refused(let field, let message):
      printError("commsd send: \(IntakeError(field: field, message))")
      throw ExitCode(65)  // EX_DATAERR
    case .conflict(let message):
      printError("commsd send: \(message)")
      throw ExitCode(65)
    case .failed(let message):
      printError("commsd send: \(message)")
      throw ExitCode(75)
    case .received:
      printError("commsd send: the daemon took the request for a reply; nothing was sent")
      throw ExitCode(75)
    }
  }

  /// The id on standard output; with `--json`, `{"id": …, "outcome": …}`
  /// and the warnings, if any, as `"warnings": […]`.
  private func printOutcome(
    _ id: MessageID, _ outcome: String, warnings: [String] = [], awaitingApproval: [String] = []
  ) {
    guard json else { return print(id.rawValue) }
    struct Answer: Encodable {
      var id: String
      var outcome: String
      var warnings: [String]?
      var awaitingApproval: [String]?

      enum CodingKeys: String, CodingKey {
        case id, outcome, warnings
        case awaitingApproval = "awaiting_approval"
      }
    }
    let answer = Answer(
      id: id.rawValue, outcome: outcome, warnings: warnings.isEmpty ? nil : warnings,
      awaitingApproval: awaitingApproval.isEmpty ? nil : awaitingApproval)
    let data = (try? JSONCoding.encoder().encode(answer)) ?? Data()
    print(String(decoding: data, as: UTF8.self))
  }

  /// Intake in this process, for when no daemon runs: the same validation
  /// and the same durable commit, then a ring in case a daemon starts.
  private func acceptDirectly(
    _ request: SendRequest, _ configuration: Configuration
  ) async throws -> IntakeWire.Response {
    let intake: Intake
    do {
      intake = Intake(configuration: configuration, store: try configuration.openStore())
    } catch {
      printError("commsd send: cannot open the store \(configuration.storeDescription): \(error)")
      throw ExitCode.failure
    }
    do {
      try configuration.operators.authorize(
        request, account: geteuid(), loginUID: OperatorName.loginUID(ofProcess: "self"))
      let (message, fingerprint) = try intake.makeMessage(request)
      switch try await intake.store.accept(message, fingerprint: fingerprint) {
      case .accepted(let id):
        WakeSocket.ring(path: configuration.wakeSocketPath)
        return .accepted(
          id, warnings: await intake.smsWarnings(for: message),
          awaitingApproval: message.awaitingApproval)
      case .duplicate(let id):
        return .duplicate(id)
      }
    } catch {
      guard let refusal = IntakeWire.refusal(error) else { throw error }
      await intake.recordRefusal(refusal, of: request)
      return refusal
    }
  }

  /// `--confirm …` read, or an exit naming the option that was wrong.
  private func confirmationRequest() throws -> ConfirmationRequest? {
    do {
      return try confirmation.request()
    } catch {
      printError("commsd send: \(error)")
      throw ExitCode(65)
    }
  }

  /// `--expires` as a time: RFC 3339, or a duration from now (`90m`, `2h`).
  private func expiry() throws -> Date? {
    guard let expires else { return nil }
    return try TimeArgument.date(
      expires, option: "expires", command: "commsd send", direction: .ahead)
  }

  /// Subject and body per language: the default from --subject/--body(-file),
  /// others from the LANG=… options, each of which needs both parts.
  private func contents(defaultLanguage: String) throws -> [String: MessageContent] {
    var subjects: [String: String] = [:]
    var bodies: [String: String] = [:]
    for (option, values) in [("--subject-in", subjectsIn), ("--body-in", bodiesIn)] {
      for text in values {
        let (language, value) = try split(text, option: option)
        if option == "--subject-in" { subjects[language] = value } else { bodies[language] = value }
      }
    }
    for text in bodyFilesIn {
      let (language, path) = try split(text, option: "--body-file-in")
      bodies[language] = try read(path, option: "--body-file-in \(language)")
    }
    for language in Set(subjects.keys).symmetricDifference(bodies.keys).sorted() {
      let missing = subjects[language] == nil ? "--subject-in" : "--body-in or --body-file-in"
      printError("commsd send: language \"\(language)\" needs \(missing) too")
      throw ExitCode(65)
    }
    var contents = subjects.reduce(into: [String: MessageContent]()) { result, entry in
      result[entry.key] = MessageContent(subject: entry.value, body: bodies[entry.key] ?? "")
    }
    if contents[defaultLanguage] != nil {
      printError(
        "commsd send: use --subject and --body for the default language \"\(defaultLanguage)\"")
      throw ExitCode(65)
    }
    let text = try body ?? read(bodyFile ?? "-", option: "--body-file")
    contents[defaultLanguage] = MessageContent(subject: subject ?? "", body: text, sms: smsBody)
    for entry in smsBodiesIn {
      let (language, value) = try split(entry, option: "--sms-body-in")
      guard contents[language] != nil, language != defaultLanguage else {
        let reason =
          language == defaultLanguage
          ? "use --sms-body for the default language \"\(defaultLanguage)\""
          : "language \"\(language)\" needs --subject-in and --body-in too"
        printError("commsd send: --sms-body-in \(language): \(reason)")
        throw ExitCode(65)
      }
      contents[language]?.sms = value
    }
    return contents
  }

  private func split(_ text: String, option: String) throws -> (String, String) {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
      printError("commsd send: \(option) \"\(text)\": expected LANG=…, e.g. en=…")
      throw ExitCode(65)
    }
    return (String(text[..<equals]), String(text[text.index(after: equals)...]))
  }

  /// The bytes of `path` ('-' for standard input); exit 66 when unreadable.
  func readData(_ path: String, option: String) throws -> Data {
    let data: Data?
    if path == "-" {
      data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
      data = FileManager.default.contents(atPath: path)
    }
    guard let data else {
      printError("commsd send: \(option): cannot read \(path)")
      throw ExitCode(66)  // EX_NOINPUT
    }
    return data
  }

  func read(_ path: String, option: String) throws -> String {
    let data = try readData(path, option: option)
    guard let text = String(data: data, encoding: .utf8) else {
      printError("commsd send: \(option): \(path) is not UTF-8 text")
      throw ExitCode(65)
    }
    return text
  }
}

extension Priority: ExpressibleByArgument {}
extension MessageMode: ExpressibleByArgument {}
extension MessageKind: ExpressibleByArgument {}
