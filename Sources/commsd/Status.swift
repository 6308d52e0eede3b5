import ArgumentParser
import CommsCore
import Foundation

/// `commsd status [ID]`: where every delivery of a message stands, or,
/// without an id, the last messages per audience.
struct Status: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show the last messages per audience, or every delivery of one message.")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The message id printed by `commsd send`; without it, a dashboard.")
  var id: String?

  @Option(help: "How many recent messages the dashboard shows.")
  var last = 10

  @Flag(help: "Print JSON for scripts.")
  var json = false

  func run() async throws {
    guard let id else {
      let store = try StoreAccess.openForReading(
        configPath: options.config, command: "commsd status")
      let recent = try await store.recentMessages(limit: max(1, last))
      if json {
        print(try Self.json(recent))
      } else {
        print(Dashboard.render(recent), terminator: "")
        print(Dashboard.summary(try await store.metricCounts()))
        let open = try await store.openInquiries()
        if let oldest = open.oldest {
          print(
            "questions: \(open.count) open, the oldest from \(LocalTime.format(oldest)) (commsd inbox list)"
          )
        }
        for record in try await store.awaitingApproval(limit: 20) {
          print(Dashboard.awaiting(record, now: SystemClock().now()))
        }
      }
      return
    }
    guard MessageID.isWellFormed(id) else {
      printError("commsd status: \"\(id)\" is not a message id (they look like msg_01J…)")
      throw ExitCode(65)
    }
    let store = try StoreAccess.openForReading(configPath: options.config, command: "commsd status")
    guard let status = try await store.status(of: MessageID(rawValue: id)) else {
      printError("commsd status: no message \(id) in this store")
      throw ExitCode.failure
    }
    if json {
      print(try Self.json(status))
    } else {
      let formats = ConfigurationLoader.endpointFormats(configurationPath: options.config)
      print(StatusTable.render(status, endpointFormats: formats))
    }
  }

  /// Pretty JSON with the project's keys and times, for scripts.
  static func json(_ value: some Encodable) throws -> String {
    let encoder = JSONCoding.encoder()
    encoder.outputFormatting.insert(.prettyPrinted)
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }
}
