import ArgumentParser
import CommsCore
import Foundation

/// What a message is, as typed: shared by `commsd send` and `commsd draft
/// create|edit`, so a draft takes exactly what a send takes. Either the
/// texts (`--subject`, `--body`, `--subject-in` …) or a template with its
/// variables (`--template NAME --var k=v`), and when it is released
/// (`--at`, `--in`).
struct ComposeOptions: ParsableArguments {
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

  @Option(
    help: ArgumentHelp(
      "Compose from the template NAME in the templates folder (commsd template list); its texts, audiences, priority and expiry, with --var for each of its variables.",
      valueName: "NAME"))
  var template: String?

  @Option(
    name: .customLong("var"),
    help: ArgumentHelp("A template variable's value (repeat for each).", valueName: "NAME=VALUE"))
  var vars: [String] = []

  @OptionGroup var timing: ReleaseOptions

  /// Whether any text option was given (which a template leaves out).
  var givesTexts: Bool {
    subject != nil || body != nil || bodyFile != nil || !subjectsIn.isEmpty || !bodiesIn.isEmpty
      || !bodyFilesIn.isEmpty || smsBody != nil || !smsBodiesIn.isEmpty
  }

  /// The options that clash with each other, as `validate()` throws them.
  func check(command: String) throws {
    if let template {
      if givesTexts {
        throw ValidationError(
          "--template \(template) gives the texts; leave out --subject, --body and their -in forms (edit the template, or send without it)"
        )
      }
    } else {
      if !vars.isEmpty { throw ValidationError("--var needs --template NAME") }
      if audience == nil || subject == nil {
        throw ValidationError(
          "give --audience and --subject with the body, a template with --template NAME, or a CAP alert with --cap FILE"
        )
      }
      if body == nil && bodyFile == nil {
        throw ValidationError("give the body with --body TEXT or --body-file FILE")
      }
    }
    if body != nil && bodyFile != nil {
      throw ValidationError("give either --body or --body-file, not both")
    }
    try timing.check()
  }

  /// The request as typed, with the template (when one is named) rendered
  /// into it: every refusal exits 65 naming the option or variable.
  func request(
    _ settings: HandOverSettings, sender: Sender, command: String, now: Date = SystemClock().now()
  ) throws -> SendRequest {
    let notBefore = try release(command: command, now: now)
    var request: SendRequest
    if let template {
      let values = try variables(command: command)
      let overrides = try overrides(notBefore, command)
      do throws(IntakeError) {
        request = try settings.templates.template(template).request(
          values: values, overrides: overrides, sender: sender, now: now)
      } catch {
        printError("\(command): \(error)")
        throw ExitCode(65)
      }
    } else {
      request = SendRequest(
        audiences: audiences ?? [], priority: priority ?? .normal, kind: kind ?? .alert,
        contents: try contents(defaultLanguage: settings.defaultLanguage, command: command),
        sender: sender, filter: try selection.filter(command: command),
        supersedes: supersedes.map(MessageID.init(rawValue:)), expiresAt: try expiry(command),
        mode: mode ?? .actual, confirmation: try confirmationRequest(command))
      request.declinesConfirmation = confirmation.noConfirm
      request.notBefore = notBefore
    }
    return request
  }

  var audiences: [String]? {
    audience.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
  }

  private func overrides(_ notBefore: Date?, _ command: String) throws -> MessageTemplate.Overrides
  {
    var overrides = MessageTemplate.Overrides()
    overrides.audiences = audiences
    overrides.priority = priority
    overrides.kind = kind
    overrides.filter = try selection.filter(command: command)
    overrides.mode = mode ?? .actual
    overrides.notBefore = notBefore
    overrides.expiresAt = try expiry(command)
    overrides.confirmation = try confirmationRequest(command)
    overrides.declinesConfirmation = confirmation.noConfirm
    overrides.supersedes = supersedes.map(MessageID.init(rawValue:))
    return overrides
  }

  /// `--var NAME=VALUE` each; a name given twice is refused.
  func variables(command: String) throws -> [String: String] {
    var values: [String: String] = [:]
    for text in vars {
      let (name, value) = try InputText.split(
        text, option: "--var", shape: "NAME=VALUE", example: "enhed=Solgården", command: command)
      guard values.updateValue(value, forKey: name) == nil else {
        printError("\(command): --var \(name) is given twice")
        throw ExitCode(65)
      }
    }
    return values
  }

  func release(command: String, now: Date) throws -> Date? {
    try timing.release(command: command, now: now)
  }

  /// `--confirm …` read, or an exit naming the option that was wrong.
  private func confirmationRequest(_ command: String) throws -> ConfirmationRequest? {
    do {
      return try confirmation.request()
    } catch {
      printError("\(command): \(error)")
      throw ExitCode(65)
    }
  }

  /// `--expires` as a time: RFC 3339, or a duration from now (`90m`, `2h`).
  func expiry(_ command: String) throws -> Date? {
    guard let expires else { return nil }
    return try TimeArgument.date(expires, option: "expires", command: command, direction: .ahead)
  }

  /// Subject and body per language: the default from --subject/--body(-file),
  /// others from the LANG=… options, each of which needs both parts.
  func contents(defaultLanguage: String, command: String) throws -> [String: MessageContent] {
    var subjects: [String: String] = [:]
    var bodies: [String: String] = [:]
    for (option, values) in [("--subject-in", subjectsIn), ("--body-in", bodiesIn)] {
      for text in values {
        let (language, value) = try InputText.split(text, option: option, command: command)
        if option == "--subject-in" { subjects[language] = value } else { bodies[language] = value }
      }
    }
    for text in bodyFilesIn {
      let (language, path) = try InputText.split(text, option: "--body-file-in", command: command)
      bodies[language] = try InputText.read(
        path, option: "--body-file-in \(language)", command: command)
    }
    for language in Set(subjects.keys).symmetricDifference(bodies.keys).sorted() {
      let missing = subjects[language] == nil ? "--subject-in" : "--body-in or --body-file-in"
      printError("\(command): language \"\(language)\" needs \(missing) too")
      throw ExitCode(65)
    }
    var contents = subjects.reduce(into: [String: MessageContent]()) { result, entry in
      result[entry.key] = MessageContent(subject: entry.value, body: bodies[entry.key] ?? "")
    }
    if contents[defaultLanguage] != nil {
      printError(
        "\(command): use --subject and --body for the default language \"\(defaultLanguage)\"")
      throw ExitCode(65)
    }
    let text = try body ?? InputText.read(bodyFile ?? "-", option: "--body-file", command: command)
    contents[defaultLanguage] = MessageContent(subject: subject ?? "", body: text, sms: smsBody)
    for entry in smsBodiesIn {
      let (language, value) = try InputText.split(entry, option: "--sms-body-in", command: command)
      guard contents[language] != nil, language != defaultLanguage else {
        let reason =
          language == defaultLanguage
          ? "use --sms-body for the default language \"\(defaultLanguage)\""
          : "language \"\(language)\" needs --subject-in and --body-in too"
        printError("\(command): --sms-body-in \(language): \(reason)")
        throw ExitCode(65)
      }
      contents[language]?.sms = value
    }
    return contents
  }
}

/// Text and files given on the command line.
enum InputText {
  /// `KEY=VALUE` split at the first `=`, or exit 65 with an example.
  static func split(
    _ text: String, option: String, shape: String = "LANG=…", example: String = "en=…",
    command: String
  ) throws -> (String, String) {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
      printError(
        "\(command): \(option) \"\(Printable.quoted(text))\": expected \(shape), e.g. \(example)")
      throw ExitCode(65)
    }
    return (String(text[..<equals]), String(text[text.index(after: equals)...]))
  }

  /// The bytes of `path` ('-' for standard input); exit 66 when unreadable.
  static func data(_ path: String, option: String, command: String) throws -> Data {
    let data: Data?
    if path == "-" {
      data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
      data = FileManager.default.contents(atPath: path)
    }
    guard let data else {
      printError("\(command): \(option): cannot read \(path)")
      throw ExitCode(66)  // EX_NOINPUT
    }
    return data
  }

  static func read(_ path: String, option: String, command: String) throws -> String {
    let data = try data(path, option: option, command: command)
    guard let text = String(data: data, encoding: .utf8) else {
      printError("\(command): \(option): \(path) is not UTF-8 text")
      throw ExitCode(65)
    }
    return text
  }
}

/// `--at TIME | --in DURATION`: when a message is released, shared by
/// `commsd send`, `commsd draft create|edit` and `commsd draft send`.
struct ReleaseOptions: ParsableArguments {
  @Option(
    name: .customLong("at"),
    help: ArgumentHelp(
      "Release at TIME, not before: 14:00 (today), 2026-11-26T14:00 (Europe/Copenhagen) or RFC 3339 with offset. A local time the clocks skip is refused; one they repeat needs its offset.",
      valueName: "TIME"))
  var at: String?

  @Option(
    name: .customLong("in"),
    help: ArgumentHelp("Release after DURATION from now (e.g. 30m, 2h).", valueName: "DURATION"))
  var after: String?

  func check() throws {
    if at != nil && after != nil { throw ValidationError("give either --at or --in, not both") }
  }

  /// `--at` or `--in` as the instant of release; nil when neither. A time
  /// that has passed is refused: typed in a hurry, it is more likely a
  /// wrong day than a wish to send at once.
  func release(command: String, now: Date) throws -> Date? {
    if let after {
      switch DurationText.read(after) {
      case .success(let duration) where duration > .zero:
        return now.addingTimeInterval(duration.seconds)
      case .success:
        printError("\(command): --in: give a duration longer than 0, or leave --in out to send now")
      case .failure(let failure):
        printError("\(command): --in: \(DurationText.explain(failure, after))")
      }
      throw ExitCode(65)
    }
    guard let at else { return nil }
    switch LocalTimeText.read(at, in: SendTimeText.zone, today: now) {
    case .success(let date):
      guard date > now else {
        printError(
          "\(command): --at: \(LocalTimeText.format(date)) has passed (it is \(LocalTimeText.format(now))); give a time ahead, or leave --at out to send now"
        )
        throw ExitCode(65)
      }
      return date
    case .failure(let failure):
      printError("\(command): --at: \(failure)")
      throw ExitCode(65)
    }
  }
}
