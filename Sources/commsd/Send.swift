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

      With --template NAME (commsd template list), a prepared message gives \
      the texts in every language, the audiences and the priority; give each \
      of its variables with --var NAME=VALUE. --at 14:00 or --in 30m holds \
      the message until then (commsd status shows it; commsd cancel calls it off).

      With --cap FILE, a CAP 1.2 alert gives everything instead: an Alert or \
      Update is sent to the audiences [cap.audiences] maps it to (an Update \
      supersedes the alert it updates), a Cancel withdraws the alerts it \
      names and tells those who got them (as `commsd cancel --notify`).
      """)

  @OptionGroup var options: ConfigOption

  @OptionGroup var message: ComposeOptions

  @Option(
    name: .customLong("idempotency-key"),
    help: "Sending twice with the same key queues the message once.")
  var idempotencyKey: String?

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
    try message.check(command: "commsd send")
    if let idempotencyKey, CAPIntake.isReservedKey(idempotencyKey) {
      throw ValidationError(
        "--idempotency-key: keys starting with cap:, cap-sha256:, api:, draft: or console: are kept for CAP alerts, API tokens, drafts and the console; choose another"
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
    var request = try message.request(
      settings, sender: OperatorIdentity.current(), command: "commsd send")
    request.idempotencyKey = idempotencyKey
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

  /// Hands requests to the daemon (or the store) and prints the outcome.
  var handing: Handing { Handing(options: options, json: json, wait: wait, command: "commsd send") }

  func submit(
    _ request: SendRequest, _ settings: HandOverSettings,
    duplicate: String = "already accepted earlier under this idempotency key; not queued again"
  ) async throws {
    try await handing.submit(request, settings, duplicate: duplicate)
  }
}

extension Priority: ExpressibleByArgument {}
extension MessageMode: ExpressibleByArgument {}
extension MessageKind: ExpressibleByArgument {}
