import ArgumentParser
import CommsCore
import Foundation

/// `commsd draft`: a message prepared, reviewed and sent when the team is
/// ready, perhaps by someone else. Stored and audited; never sent until
/// `draft send`.
struct DraftCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "draft",
    abstract: "Drafts: create, list, show, edit, send, discard.",
    discussion: """
      A draft takes what `commsd send` takes (texts, or --template with --var; \
      --at for a release time) and is checked as a send would be, but nothing \
      goes until `commsd draft send ID`. The audit names who drafted, edited \
      and sent it. A draft's text is fixed when it is made: a later edit of \
      its template changes it only when the draft is edited (--var).
      """,
    subcommands: [
      DraftCreate.self, DraftList.self, DraftShow.self, DraftEdit.self, DraftSend.self,
      DraftDiscard.self,
    ])

  static func id(_ text: String, command: String) throws -> DraftID {
    guard DraftID.isWellFormed(text) else {
      printError("\(command): \"\(Printable.quoted(text))\" is not a draft id (drf_…)")
      throw ExitCode(65)
    }
    return DraftID(rawValue: text)
  }

  /// The draft, or exit 65 when there is none.
  static func load(_ id: DraftID, store: any Store, command: String) async throws -> Draft {
    guard let draft = try await store.draft(id) else {
      printError("\(command): there is no draft \(id)")
      throw ExitCode(65)
    }
    return draft
  }

  /// Checks `request` as intake would (against the whole configuration),
  /// and that this operator may send it: a draft that could not be sent is
  /// refused when it is made, not when the team is ready.
  static func check(
    _ request: SendRequest, _ configuration: Configuration, store: any Store, command: String
  ) throws {
    do throws(IntakeError) {
      try configuration.operators.authorize(
        request, account: geteuid(), loginUID: OperatorName.loginUID(ofProcess: "self"))
      try Intake(configuration: configuration, store: store).validate(request)
    } catch {
      printError("\(command): \(error)")
      throw ExitCode(65)
    }
  }

  /// `--in` is for the moment of sending, not of drafting.
  static func refuseRelative(_ compose: ComposeOptions, command: String) throws {
    if compose.timing.after != nil {
      printError(
        "\(command): --in counts from now, not from when the draft is sent; give --at, or --in to commsd draft send"
      )
      throw ExitCode(65)
    }
  }

}

struct DraftCreate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create", abstract: "Store a draft; prints its id. Nothing is sent.")

  @OptionGroup var options: ConfigOption
  @OptionGroup var message: ComposeOptions

  func validate() throws { try message.check(command: "commsd draft create") }

  func run() async throws {
    let command = "commsd draft create"
    try DraftCommand.refuseRelative(message, command: command)
    let configuration = try options.load()
    let settings = HandOverSettings(configuration)
    let sender = OperatorIdentity.current()
    let request = try message.request(settings, sender: sender, command: command)
    let store = try Cancel.openStore(settings, command: command)
    try DraftCommand.check(request, configuration, store: store, command: command)
    let id = try await store.createDraft(
      DraftContent(request), by: sender.description, at: SystemClock().now())
    print(id.rawValue)
    printError("\(command): \(id) stored; nothing is sent until commsd draft send \(id)")
  }
}

struct DraftList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "The open drafts, most recently changed first.")

  @OptionGroup var options: ConfigOption

  @Flag(help: "Also the drafts sent or discarded.")
  var all = false

  @Flag(help: "Print JSON.")
  var json = false

  func run() async throws {
    let settings = try options.handOver()
    let store = try Cancel.openStore(settings, command: "commsd draft list")
    let drafts = try await store.drafts(all: all)
    if json { return print(try Status.json(drafts)) }
    guard !drafts.isEmpty else { return print(all ? "no drafts" : "no open drafts") }
    var rows = [["DRAFT", "STATE", "CHANGED", "BY", "AUDIENCES", "RELEASE", "SUBJECT"]]
    for draft in drafts {
      rows.append([
        draft.id.rawValue, draft.state.rawValue + (draft.messageID.map { " \($0)" } ?? ""),
        LocalTime.format(draft.updatedAt), draft.updatedBy,
        draft.content.audiences.joined(separator: ","),
        draft.content.notBefore.map(LocalTime.format) ?? "at once",
        draft.content.subject(in: settings.defaultLanguage),
      ])
    }
    print(Dashboard.table(rows), terminator: "")
  }
}

struct DraftShow: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "A draft: who made it, what it says in every language.")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The draft's id (drf_…).")
  var id: String

  @Flag(help: "Print JSON.")
  var json = false

  func run() async throws {
    let command = "commsd draft show"
    let id = try DraftCommand.id(id, command: command)
    let settings = try options.handOver()
    let draft = try await DraftCommand.load(
      id, store: try Cancel.openStore(settings, command: command), command: command)
    if json { return print(try Status.json(draft)) }
    let content = draft.content
    var lines = [
      "\(draft.id)  \(draft.state.rawValue.uppercased())  revision \(draft.revision)",
      "drafted \(LocalTime.format(draft.createdAt)) by \(draft.createdBy)",
    ]
    if draft.revision > 1 {
      lines.append("edited \(LocalTime.format(draft.updatedAt)) by \(draft.updatedBy)")
    }
    if let closed = draft.closedAt {
      lines.append(
        "\(draft.state.rawValue) \(LocalTime.format(closed)) by \(draft.closedBy ?? "")"
          + (draft.messageID.map { " as \($0)" } ?? ""))
    }
    lines.append(
      "for \(content.audiences.joined(separator: ", ")) · \(content.priority.rawValue) \(content.kind.rawValue)"
        + (content.mode == .actual ? "" : " · \(content.mode.rawValue.uppercased())"))
    if let template = content.template {
      let values = (content.variables ?? [:]).sorted { $0.key < $1.key }
        .map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
      lines.append("from template \(template) (\(values))")
    }
    if !content.filter.isEmpty { lines.append("where \(content.filter)") }
    lines.append("release \(content.notBefore.map(LocalTime.format) ?? "at once when sent")")
    if let expires = content.expiresAt { lines.append("expires \(LocalTime.format(expires))") }
    if let span = content.expiresAfterSeconds {
      lines.append("expires \(DurationText.format(.seconds(span))) after release")
    }
    if let old = content.supersedes { lines.append("supersedes \(old)") }
    for (language, text) in content.contents.sorted(by: { $0.key < $1.key }) {
      lines += ["", "[\(language)] \(text.subject)", text.body]
      if let sms = text.sms { lines.append("sms: \(sms)") }
    }
    print(lines.joined(separator: "\n"))
  }
}

struct DraftEdit: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "edit",
    abstract: "Change an open draft: what is given replaces what it had.",
    discussion: """
      --var renders its template anew with the values given and those it had; \
      --subject, --body and their -in forms replace those texts; --audience, \
      --priority, --kind, --mode, --at, --expires, --where and --supersedes \
      replace theirs. With --revision N, only if nobody edited it since N.
      """)

  @OptionGroup var options: ConfigOption
  @OptionGroup var message: ComposeOptions

  @Argument(help: "The draft's id (drf_…).")
  var id: String

  @Option(help: "Only if the draft is still at this revision (commsd draft show).")
  var revision: Int?

  func run() async throws {
    let command = "commsd draft edit"
    let id = try DraftCommand.id(id, command: command)
    try DraftCommand.refuseRelative(message, command: command)
    let configuration = try options.load()
    let settings = HandOverSettings(configuration)
    let store = try Cancel.openStore(settings, command: command)
    let draft = try await DraftCommand.load(id, store: store, command: command)
    let sender = OperatorIdentity.current()
    var content = draft.content
    let now = SystemClock().now()
    if message.template != nil || !message.vars.isEmpty {
      guard let name = message.template ?? content.template else {
        printError("\(command): \(id) has no template; give --template NAME with --var")
        throw ExitCode(65)
      }
      var values = name == content.template ? content.variables ?? [:] : [:]
      values.merge(try message.variables(command: command)) { $1 }
      var overrides = MessageTemplate.Overrides()
      overrides.audiences = message.audiences ?? content.audiences
      overrides.priority = message.priority ?? content.priority
      overrides.kind = message.kind ?? content.kind
      overrides.mode = message.mode ?? content.mode
      overrides.filter =
        message.selection.conditions.isEmpty
        ? content.filter : try message.selection.filter(command: command)
      overrides.notBefore = try message.release(command: command, now: now) ?? content.notBefore
      overrides.supersedes = message.supersedes.map(MessageID.init(rawValue:)) ?? content.supersedes
      overrides.confirmation = content.confirmation
      overrides.expiresAt = try message.expiry(command)
      do throws(IntakeError) {
        let request = try settings.templates.template(name).request(
          values: values, overrides: overrides, sender: sender, now: now)
        content = DraftContent(request)
      } catch {
        printError("\(command): \(error)")
        throw ExitCode(65)
      }
    } else {
      if let audiences = message.audiences { content.audiences = audiences }
      if let priority = message.priority { content.priority = priority }
      if let kind = message.kind { content.kind = kind }
      if let mode = message.mode { content.mode = mode }
      if !message.selection.conditions.isEmpty {
        content.filter = try message.selection.filter(command: command)
      }
      if let release = try message.release(command: command, now: now) {
        content.notBefore = release
      }
      if let old = message.supersedes { content.supersedes = MessageID(rawValue: old) }
      if let expiresAt = try message.expiry(command) {
        content.expiresAt = expiresAt
        content.expiresAfterSeconds = nil
      }
      if message.givesTexts {
        try replaceTexts(&content, defaultLanguage: settings.defaultLanguage, command: command)
      }
    }
    let request = content.request(sending: id, sender: sender, now: now)
    try DraftCommand.check(request, configuration, store: store, command: command)
    let revision = try await refusingStore(command) {
      try await store.editDraft(
        id, content, revision: self.revision, by: sender.description, at: now)
    }
    print("\(id) revision \(revision)")
  }

  /// The texts given replace the draft's: the default language's subject,
  /// body and SMS text one by one, another language's whole.
  private func replaceTexts(_ content: inout DraftContent, defaultLanguage: String, command: String)
    throws
  {
    var base = content.contents[defaultLanguage] ?? MessageContent(subject: "", body: "")
    if let subject = message.subject { base.subject = subject }
    if let body = message.body { base.body = body }
    if let file = message.bodyFile {
      base.body = try InputText.read(file, option: "--body-file", command: command)
    }
    if let sms = message.smsBody { base.sms = sms }
    content.contents[defaultLanguage] = base
    var others = message
    others.subject = base.subject
    others.body = base.body
    others.bodyFile = nil
    others.smsBody = base.sms
    for (language, text) in try others.contents(defaultLanguage: defaultLanguage, command: command)
    where language != defaultLanguage {
      content.contents[language] = text
    }
    content.template = nil
    content.variables = nil
  }
}

struct DraftSend: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "send",
    abstract: "Send a draft as it stands; prints the message id once it is durable.",
    discussion: """
      Sent as the operator who runs this (the audit names the drafter too). \
      Sending twice sends once: the second finds the message of the first.
      """)

  @OptionGroup var options: ConfigOption

  @Argument(help: "The draft's id (drf_…).")
  var id: String

  /// A release time instead of the draft's.
  @OptionGroup var timing: ReleaseOptions

  @Flag(help: "Print JSON: {\"id\": …, \"outcome\": …}.")
  var json = false

  func validate() throws { try timing.check() }

  func run() async throws {
    let command = "commsd draft send"
    let id = try DraftCommand.id(id, command: command)
    let settings = try options.handOver()
    let store = try Cancel.openStore(settings, command: command)
    let draft = try await DraftCommand.load(id, store: store, command: command)
    if draft.state == .sent, let message = draft.messageID {
      print(json ? "{\"id\":\"\(message)\",\"outcome\":\"duplicate\"}" : message.rawValue)
      printError("\(command): \(id) was sent before as \(message); not sent again")
      return
    }
    if draft.state != .open {
      printError("\(command): \(id) was \(draft.state.rawValue); it cannot be sent")
      throw ExitCode(65)
    }
    let sender = OperatorIdentity.current()
    let now = SystemClock().now()
    let request = draft.content.request(
      sending: id, sender: sender, now: now,
      release: try timing.release(command: command, now: now))
    let handing = Handing(options: options, json: json, wait: false, command: command)
    guard
      let message = try await handing.submit(
        request, settings, duplicate: "\(id) was sent before; not sent again")
    else { return }
    try await refusingStore(command) {
      try await store.closeDraft(
        id, as: .sent, message: message, by: sender.description, at: SystemClock().now())
    }
  }
}

struct DraftDiscard: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "discard", abstract: "Close a draft without sending it; it stays on record.")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The draft's id (drf_…).")
  var id: String

  func run() async throws {
    let command = "commsd draft discard"
    let id = try DraftCommand.id(id, command: command)
    let settings = try options.handOver()
    let store = try Cancel.openStore(settings, command: command)
    let draft = try await DraftCommand.load(id, store: store, command: command)
    try await Mandate.require(
      .send, over: draft.content.audiences, settings: settings, store: store, command: command)
    try await refusingStore(command) {
      try await store.closeDraft(
        id, as: .discarded, by: OperatorIdentity.current().description, at: SystemClock().now())
    }
    print("\(id) discarded")
  }
}
