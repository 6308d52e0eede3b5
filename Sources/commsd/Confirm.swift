import ArgumentParser
import CommsCore
import Foundation

/// `commsd confirm MESSAGE --recipient ID --on-behalf NOTE [--at TIME]` (or
/// a delivery id instead of message and recipient): a confirmation taken
/// by phone or in person, on record for the person.
struct Confirm: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Record that a reader confirmed a message, e.g. by phone.",
    discussion: """
      Name the person by the message and --recipient (the id `commsd status` \
      lists under NOT CONFIRMED), or by one of their deliveries (dlv_…). \
      The note and your name go in the audit log; the person counts as \
      confirmed, late if after the message's --confirm-within.
      """)

  @OptionGroup var options: ConfigOption

  @Argument(help: "The message id (with --recipient), or a delivery id (dlv_…).")
  var target: String

  @Option(help: ArgumentHelp("The person's recipient id.", valueName: "ID"))
  var recipient: String?

  @Option(
    name: .customLong("on-behalf"),
    help: ArgumentHelp("How it was taken, e.g. \"phoned 10:42\".", valueName: "NOTE"))
  var note: String

  @Option(
    help: ArgumentHelp(
      "When the person confirmed (RFC 3339, or how long ago, e.g. 20m); now unless given.",
      valueName: "TIME"))
  var at: String?

  @Flag(help: "Print JSON for scripts.")
  var json = false

  func run() async throws {
    let settings = try options.handOver()
    let byMessage = MessageID.isWellFormed(target)
    guard byMessage || DeliveryID.isWellFormed(target) else {
      printError(
        "commsd confirm: \"\(Printable.quoted(target))\" is neither a message id (msg_…) nor a delivery id (dlv_…)"
      )
      throw ExitCode(65)
    }
    guard byMessage == (recipient != nil) else {
      printError(
        byMessage
          ? "commsd confirm: name the person with --recipient ID (see NOT CONFIRMED in commsd status)"
          : "commsd confirm: a delivery names its person already: leave out --recipient")
      throw ExitCode(65)
    }
    let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
    guard (1...500).contains(note.count), !note.contains(where: \.isNewline) else {
      printError("commsd confirm: --on-behalf: give one line of 1 to 500 characters")
      throw ExitCode(65)
    }
    let now = SystemClock().now()
    let when =
      try at.map {
        try TimeArgument.date($0, option: "--at", command: "commsd confirm", direction: .back)
      } ?? now
    guard when <= now.addingTimeInterval(60) else {
      printError("commsd confirm: --at: \(Timestamp.format(when)) is in the future")
      throw ExitCode(65)
    }
    let store = try Cancel.openStore(settings, command: "commsd confirm")
    try await Mandate.require(.inbox, settings: settings, store: store, command: "commsd confirm")
    var delivery = target
    if let recipient {
      guard
        let found = try await store.firstDelivery(of: MessageID(rawValue: target), to: recipient)
      else {
        printError(
          "commsd confirm: \(target) has no delivery to \"\(Printable.quoted(recipient))\"")
        throw ExitCode(65)
      }
      delivery = found.rawValue
    }
    let outcome = try await store.confirm(
      Confirmation(
        deliveryID: DeliveryID(rawValue: delivery), way: .byOperator, at: when,
        actor: OperatorIdentity.current().description, note: note))
    let (word, text, code): (String, String, Int32?) =
      switch outcome {
      case .confirmed(let late):
        (
          late ? "late" : "confirmed", late ? "confirmed, after the deadline (late)" : "confirmed",
          nil
        )
      case .repeated(let earlier):
        ("repeated", "had confirmed already at \(Timestamp.format(earlier)); nothing changed", nil)
      case .notAsked: ("not_asked", "the message asks for no confirmation", 65)
      case .cancelled: ("cancelled", "the message was cancelled", 65)
      case .unknownDelivery: ("unknown", "no such delivery", 65)
      }
    if json {
      print(JSONWriter.object(["delivery": delivery, "outcome": word]))
    } else if code == nil {
      print("\(delivery): \(text)")
    } else {
      printError("commsd confirm: \(delivery): \(text)")
    }
    if let code { throw ExitCode(code) }
  }
}
