import ArgumentParser
import CommsCore
import Foundation

/// `commsd dead list` and `commsd dead retry ID`: deliveries that failed for good.
struct Dead: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List dead letters, and send them again.", subcommands: [List.self, Retry.self])

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "The newest deliveries that failed for good, and why.")

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("Only this message's.", valueName: "MESSAGE-ID"))
    var message: String?

    @Option(help: "How many at most.")
    var limit = 50

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func run() async throws {
      let store = try StoreAccess.openForReading(
        configPath: options.config, command: "commsd dead list")
      let lines = try await store.deadDeliveries(
        of: message.map(MessageID.init(rawValue:)), limit: max(1, limit))
      if json {
        print(try Status.json(lines))
        return
      }
      guard !lines.isEmpty else {
        print("no dead letters")
        return
      }
      var rows = [["DELIVERY", "RECIPIENT", "AUDIENCE", "CONTACT", "TRIES", "LAST ANSWER"]]
      for line in lines {
        let answer = [line.lastStatus.map(String.init), line.lastError].compactMap { $0 }
          .joined(separator: " ")
        rows.append([
          line.id, "\(line.recipientName) (\(line.recipient))", line.audience, line.contact,
          String(line.attempts), answer,
        ])
      }
      print(Dashboard.table(rows), terminator: "")
    }
  }

  struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Queue dead letters again: one delivery (dlv_…) or all of a message's (msg_…).",
      discussion: """
        Only a recipient's last contact is retried (an earlier one was followed \
        by a fallback already), and only while the message stands (not \
        cancelled, superseded or expired). Audited (delivery.retried).
        """)

    @OptionGroup var options: ConfigOption

    @Argument(help: "A delivery id (dlv_…) or a message id (msg_…).")
    var id: String

    @Flag(help: "Print JSON for scripts.")
    var json = false

    func run() async throws {
      guard id.hasPrefix("dlv_") || MessageID.isWellFormed(id) else {
        printError(
          "commsd dead retry: \"\(id)\" is neither a delivery id (dlv_…) nor a message id (msg_…)")
        throw ExitCode(65)
      }
      let settings = try options.handOver()
      let store = try Cancel.openStore(settings, command: "commsd dead retry")
      try await Mandate.require(
        .send, settings: settings, store: store, command: "commsd dead retry")
      let retried: [String]
      do {
        retried = try await store.retryDead(
          id, actor: OperatorIdentity.current(), at: SystemClock().now())
      } catch StoreError.refused(_, let reason) {
        printError("commsd dead retry: \(reason)")
        throw ExitCode(65)
      } catch let error as StoreError {
        guard case .illegalTransition = error else { throw error }
        printError("commsd dead retry: \(error)")
        throw ExitCode(65)
      }
      if let settings = try? ConfigurationLoader.handOver(path: options.config) {
        WakeSocket.ring(path: settings.wakeSocketPath)
      }
      if json {
        print(try Status.json(["retried": retried]))
      } else if retried.isEmpty {
        printError(
          "commsd dead retry: nothing to retry for \(id) (not dead, followed by a fallback, or its message was withdrawn)"
        )
        throw ExitCode.failure
      } else {
        print("queued again: \(retried.joined(separator: ", "))")
      }
    }
  }
}
