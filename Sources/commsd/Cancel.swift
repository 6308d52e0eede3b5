import ArgumentParser
import CommsCore
import Foundation

/// `commsd cancel ID --reason TEXT [--notify]`: withdraw a message.
struct Cancel: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Withdraw a message: every copy not yet sent is cancelled.",
    discussion: """
      Copies already handed to a webhook or the mail relay may still arrive; \
      they are recorded as they end. With --notify, everyone who got the \
      message (and anyone whose copy arrives after all) gets a short \
      retraction with the reason, on the contact that reached them.
      """)

  @OptionGroup var options: ConfigOption

  @Argument(help: "The message id printed by `commsd send`.")
  var id: String

  @Option(help: "Why it is withdrawn; recorded, and shown to readers with --notify.")
  var reason: String

  @Flag(help: "Tell everyone who already got it that it no longer applies.")
  var notify = false

  @Flag(help: "Print JSON for scripts.")
  var json = false

  func run() async throws {
    // Cancelling writes the store directly and rings the daemon: neither
    // needs the recipient lists.
    let settings = try options.handOver()
    guard MessageID.isWellFormed(id) else {
      printError("commsd cancel: \"\(id)\" is not a message id (they look like msg_01J…)")
      throw ExitCode(65)
    }
    let reason: String
    do {
      reason = try Cancellation.checkedReason(self.reason)
    } catch {
      printError("commsd cancel: \(error)")
      throw ExitCode(65)
    }
    let store = try Self.openStore(settings, command: "commsd cancel")
    if settings.operators.isEnforced {
      try await Mandate.require(
        .cancel, over: try await store.message(MessageID(rawValue: id))?.audiences ?? [],
        settings: settings, store: store, command: "commsd cancel")
    }
    try await Self.withdraw(
      MessageID(rawValue: id), reason: reason, notify: notify, actor: OperatorIdentity.current(),
      store: store, wakeSocketPath: settings.wakeSocketPath, command: "commsd cancel", json: json)
  }
}

extension Cancel {
  /// The store, or an exit saying why it cannot be opened.
  static func openStore(_ settings: HandOverSettings, command: String) throws -> any Store {
    do {
      return try settings.openStore()
    } catch {
      printError("\(command): cannot open the store \(settings.storeDescription): \(error)")
      throw ExitCode.failure
    }
  }

  /// Cancels `messageID` (with `notify`, a retraction to everyone who got
  /// it), wakes the daemon and prints what was done; exits 65 when the
  /// store refuses. Shared by `commsd cancel` and a CAP Cancel
  /// (`commsd send --cap`).
  static func withdraw(
    _ messageID: MessageID, reason: String, notify: Bool, actor: Sender, store: any Store,
    wakeSocketPath: String, command: String, json: Bool = false
  ) async throws {
    let outcome: CancelOutcome
    do {
      outcome = try await Cancellation.carryOut(
        messageID, reason: reason, notify: notify, actor: actor, store: store,
        at: SystemClock().now())
    } catch let error as StoreError {
      printError("\(command): \(error)")
      throw ExitCode(65)
    }
    // The daemon drops what it holds of the message and plans the retraction.
    WakeSocket.ring(path: wakeSocketPath)
    if json {
      var answer: [String: String] = [
        "id": messageID.rawValue, "withdrawn": String(outcome.withdrawn),
        "in_flight": String(outcome.inFlight), "notified": String(outcome.notified),
      ]
      answer["retraction"] = outcome.retraction?.rawValue
      print(JSONWriter.object(answer))
      return
    }
    print("cancelled \(messageID): \(outcome.withdrawn) copies not yet sent withdrawn")
    if outcome.inFlight > 0 {
      print("\(outcome.inFlight) in flight: each is recorded as delivered or cancelled as it ends")
    }
    if let retraction = outcome.retraction {
      print(
        "retraction \(retraction) to the \(outcome.notified) who already got it"
          + (outcome.inFlight > 0 ? " (and to any copy in flight that arrives)" : ""))
    }
  }
}
