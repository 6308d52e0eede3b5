import ArgumentParser
import CommsCore
import Foundation

/// `commsd status ID`: where every delivery of a message stands.
struct Status: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Show per-delivery state of a message.")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The message id printed by `commsd send`.")
  var id: String

  @Flag(help: "Print JSON for scripts.")
  var json = false

  func run() async throws {
    let storePath: String
    do {
      storePath = try ConfigurationLoader.storePath(configurationPath: options.config)
    } catch {
      printError(error.description)
      throw ExitCode(78)
    }
    guard MessageID.isWellFormed(id) else {
      printError("commsd status: \"\(id)\" is not a message id (they look like msg_01J…)")
      throw ExitCode(65)
    }
    let store = try SQLiteStore(path: storePath)
    guard let status = try await store.status(of: MessageID(rawValue: id)) else {
      printError("commsd status: no message \(id) in \(storePath)")
      throw ExitCode.failure
    }
    if json {
      let encoder = JSONCoding.encoder()
      encoder.outputFormatting.insert(.prettyPrinted)
      print(String(decoding: try encoder.encode(status), as: UTF8.self))
    } else {
      print(StatusTable.render(status))
    }
  }
}
