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
      """)

  @OptionGroup var options: ConfigOption

  @Option(help: ArgumentHelp("Audiences, comma-separated (e.g. staff,police).", valueName: "A,B"))
  var audience: String

  @Option(help: "flash, urgent, normal or bulk.")
  var priority: Priority = .normal

  @Option(help: "alert, update, process or all-clear.")
  var kind: MessageKind = .alert

  @Option(help: "The subject line.")
  var subject: String

  @Option(help: "The message body.")
  var body: String?

  @Option(
    name: .customLong("body-file"),
    help: ArgumentHelp("Read the body from FILE ('-' for standard input).", valueName: "FILE"))
  var bodyFile: String?

  @Option(
    name: .customLong("idempotency-key"),
    help: "Sending twice with the same key queues the message once.")
  var idempotencyKey: String?

  func validate() throws {
    if body == nil && bodyFile == nil {
      throw ValidationError("give the body with --body TEXT or --body-file FILE")
    }
    if body != nil && bodyFile != nil {
      throw ValidationError("give either --body or --body-file, not both")
    }
  }

  func run() async throws {
    let configuration = try options.load()
    let text = try readBody()
    let request = SendRequest(
      audiences: audience.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
      priority: priority, kind: kind,
      contents: [configuration.defaultLanguage: MessageContent(subject: subject, body: text)],
      idempotencyKey: idempotencyKey, sender: OperatorIdentity.current())
    let intake: Intake
    do {
      intake = Intake(
        configuration: configuration, store: try SQLiteStore(path: configuration.storePath))
    } catch {
      printError("commsd send: cannot open the store \(configuration.storePath): \(error)")
      throw ExitCode.failure
    }
    do {
      switch try await intake.accept(request) {
      case .accepted(let id):
        print(id)
        WakeSocket.ring(path: configuration.wakeSocketPath)
      case .duplicate(let id):
        print(id)
        printError(
          "commsd send: already accepted earlier under this idempotency key; not queued again")
      }
    } catch let error as IntakeError {
      printError("commsd send: \(error)")
      throw ExitCode(65)  // EX_DATAERR
    } catch let error as StoreError {
      printError("commsd send: \(error)")
      throw ExitCode(65)
    }
  }

  private func readBody() throws -> String {
    if let body { return body }
    guard let bodyFile else { return "" }
    let data: Data?
    if bodyFile == "-" {
      data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
      data = FileManager.default.contents(atPath: bodyFile)
    }
    guard let data else {
      printError("commsd send: --body-file: cannot read \(bodyFile)")
      throw ExitCode(66)  // EX_NOINPUT
    }
    guard let text = String(data: data, encoding: .utf8) else {
      printError("commsd send: --body-file: \(bodyFile) is not UTF-8 text")
      throw ExitCode(65)
    }
    return text
  }
}

extension Priority: ExpressibleByArgument {}
extension MessageKind: ExpressibleByArgument {}
