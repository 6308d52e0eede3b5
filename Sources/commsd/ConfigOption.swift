import ArgumentParser
import CommsCore
import Foundation

/// `--config FILE`, shared by every subcommand.
struct ConfigOption: ParsableArguments {
  static let defaultPath = "/etc/commsd/commsd.toml"

  @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "FILE"))
  var config: String = ConfigOption.defaultPath

  /// The loaded configuration, or an exit with every problem printed.
  func load() throws -> Configuration {
    do {
      return try ConfigurationLoader.load(path: config)
    } catch {
      printError(error.description)
      throw ExitCode(78)  // EX_CONFIG
    }
  }

  /// What a command that hands a request to the daemon needs, read without
  /// recipient lists, secrets or templates (`HandOverSettings`). When that
  /// light read meets a problem, the full load names every problem in the
  /// file (file:line:key) and exits 78.
  func handOver() throws -> HandOverSettings {
    if let settings = try? ConfigurationLoader.handOver(path: config) { return settings }
    return HandOverSettings(try load())
  }
}

/// Writes a line to standard error, with any control character from outside
/// (a key, a value, a request field) escaped so it cannot move the cursor.
func printError(_ text: String) {
  FileHandle.standardError.write(Data((Printable.lines(text) + "\n").utf8))
}

/// Runs a change to the store; the store's refusal (no such inquiry,
/// draft or account; a closed draft; a stale revision) is printed as
/// `command: field: reason` and exits 65 (EX_DATAERR). Other errors pass.
func refusingStore<T>(_ command: String, _ body: () async throws -> T) async throws -> T {
  do {
    return try await body()
  } catch StoreError.refused(let field, let reason) {
    printError("\(command): \(field): \(reason)")
    throw ExitCode(65)
  }
}
