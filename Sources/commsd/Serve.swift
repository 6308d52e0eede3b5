import ArgumentParser
import CommsCore
import Logging
import ServiceLifecycle

/// `commsd serve`: the daemon, in the foreground.
struct Serve: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run the daemon in the foreground (plan, dose, send, record).")

  @OptionGroup var options: ConfigOption

  func run() async throws {
    let configuration = try options.load()
    var logger = Logger(label: "commsd") { LineLogHandler(label: $0) }
    logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
    if let offset = TestClockOffset.shared {
      logger.warning(
        "the clock is moved by \(TestClockOffset.variable) (for tests only)",
        metadata: ["file": "\(offset.file)", "seconds": "\(offset.seconds())"])
    }
    let daemon = Daemon(configuration: configuration, logger: logger)
    let group = ServiceGroup(
      configuration: .init(
        services: [.init(service: daemon)], gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
    do {
      try await group.run()
    } catch let error as StoreError {
      printError("commsd: \(error)")
      throw ExitCode.failure
    } catch let error as RetentionKey.Failure {
      printError("commsd: \(error)")
      throw ExitCode(78)  // EX_CONFIG
    }
  }
}
