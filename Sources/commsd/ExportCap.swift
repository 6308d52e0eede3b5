import ArgumentParser
import CommsCore
import Foundation

/// `commsd export-cap ID [--cancellation]`: a message as a CAP 1.2 alert.
struct ExportCap: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export-cap",
    abstract: "Print a message as a CAP 1.2 alert, for other alerting systems.",
    discussion: """
      A message is exported as an Alert, or as an Update of the message it \
      supersedes; a retraction as the Cancel of the message it withdraws, and \
      with --cancellation a cancelled message as its Cancel. The alert's \
      identifier is the message id and its sender [cap] sender, which must \
      be configured.
      """)

  @OptionGroup var options: ConfigOption

  @Argument(help: "The message id printed by `commsd send`.")
  var id: String

  @Flag(help: "Export the Cancel of a cancelled message instead of the message.")
  var cancellation = false

  func run() async throws {
    let configuration = try options.load()
    guard let export = CAPExport(configuration: configuration) else {
      printError(
        "commsd export-cap: [cap] sender is not configured: give the CAP sender commsd exports as, e.g. sender = \"krisestab@kommune.example\""
      )
      throw ExitCode(78)  // EX_CONFIG
    }
    guard MessageID.isWellFormed(id) else {
      printError("commsd export-cap: \"\(id)\" is not a message id (they look like msg_01J…)")
      throw ExitCode(65)
    }
    let store = try Cancel.openStore(HandOverSettings(configuration), command: "commsd export-cap")
    guard let message = try await store.message(MessageID(rawValue: id)) else {
      printError("commsd export-cap: there is no message \(id) in this store")
      throw ExitCode(65)
    }
    let alert: CAPAlert
    if let original = message.retractionOf {
      alert = try await cancel(of: original, export: export, store: store)
    } else if cancellation {
      alert = try await cancel(of: message.id, export: export, store: store)
    } else {
      var predecessor: Message?
      if let older = message.supersedes { predecessor = try await store.message(older) }
      alert = export.alert(for: message, predecessor: predecessor)
    }
    print(CAPWriter.xml(alert), terminator: "")
  }

  private func cancel(of id: MessageID, export: CAPExport, store: any Store) async throws
    -> CAPAlert
  {
    guard let message = try await store.message(id),
      let record = try await store.cancellation(of: id)
    else {
      printError("commsd export-cap: \(id) was not cancelled; export it without --cancellation")
      throw ExitCode(65)
    }
    var retraction: Message?
    if let sent = record.retraction { retraction = try await store.message(sent) }
    return export.cancel(of: message, cancellation: record, retraction: retraction)
  }
}
