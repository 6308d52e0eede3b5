import Foundation
import Logging
import PostgresTestSupport
import ServiceLifecycle
import Testing

@testable import CommsCore

/// The daemon's loops and listeners as one service group, run in this
/// process on an SQLite store in a temporary folder.
@Suite struct DaemonServicesTests {
  /// A stop goes through the services one at a time in the reverse of their
  /// start: the announcement and the API first, dispatch before planning and
  /// the recorder (so the outcomes of the transfers in flight are written),
  /// the sockets after the loops, the heartbeat and the checkpoints last.
  @Test func aStopEndsTheServicesInTheReverseOfTheirStart() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "commsd-daemon-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let configuration = try ConfigurationLoader.parse(
      """
      data_dir = "var"
      [api]
      listen = "127.0.0.1:\(try TestPostgres.freePort())"
      [audiences.staff]
      """, file: directory.appendingPathComponent("commsd.toml").path)
    let captured = CapturedLines()
    var logger = Logger(label: "commsd") { _ in CapturingHandler(captured: captured) }
    logger.logLevel = .debug
    func logged(_ message: String) -> [Logger.Metadata] {
      captured.lines.withLock { lines in lines.filter { $0.0 == message }.map(\.1) }
    }
    // `commsd serve`'s group, which turns a signal into the graceful shutdown.
    let serve = ServiceGroup(
      configuration: .init(
        services: [Daemon(configuration: configuration, logger: logger)],
        logger: Logger(label: "serve") { _ in SwiftLogNoOpLogHandler() }))
    let running = Task { try await serve.run() }
    let deadline = ContinuousClock.now + .seconds(30)
    while logged("commsd is running").isEmpty && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(20))
    }
    #expect(!logged("commsd is running").isEmpty, "the daemon never got ready")
    await serve.triggerGracefulShutdown()
    try await running.value

    let stopped = logged("Service finished").compactMap { $0["sl-service"].map { "\($0)" } }
    #expect(
      stopped == [
        "stop announcement", "configuration reload", "HTTP API", "dispatch", "planning", "record",
        "intake socket", "wake socket", "audit head log", "heartbeat", "SQLite checkpoints",
      ])
    #expect(!logged("commsd stopped").isEmpty)
  }
}
