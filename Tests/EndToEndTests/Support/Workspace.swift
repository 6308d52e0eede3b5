import CommsCore
import Foundation

/// A temporary folder with a configuration file, a data directory and the
/// receivers' records; removed when the test ends.
final class Workspace: @unchecked Sendable {
  // @unchecked: used by one test at a time.
  let directory: String
  var configPath: String { (directory as NSString).appendingPathComponent("commsd.toml") }
  var dataDirectory: String { (directory as NSString).appendingPathComponent("var") }
  private var children: [ChildProcess] = []
  private var receivers: [Receiver] = []

  init() throws {
    directory =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("commsd-e2e-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  }

  /// The four audiences with their display names and default templates, and
  /// no quiet hours: these tests run at any time of day, and dosing has
  /// tests of its own.
  static let standardAudiences = """
    [audiences.staff]
    display_name = "Personale"
    dosing.quiet_hours = "none"
    [audiences.relatives]
    display_name = "Pårørende"
    dosing.quiet_hours = "none"
    [audiences.council]
    display_name = "Kommunalbestyrelsen"
    dosing.quiet_hours = "none"
    [audiences.police]
    display_name = "Politiet"
    dosing.quiet_hours = "none"
    """

  /// The shared secret the test endpoints sign with.
  static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

  /// Writes the configuration: `[relays.test]` on `smtpPort` (if given),
  /// endpoints `hook` and `sms` on `httpPort`, the four audiences (or
  /// `audiences`), the recipients, and `extra` TOML at the top (so it may hold
  /// top-level keys such as `recipient_lists`).
  func writeConfig(
    smtpPort: Int?, httpPort: Int?, recipients: String, extra: String = "", maxInFlight: Int = 64,
    endpointConcurrency: Int = 8, relayLogin: (username: String, passwordFile: String)? = nil,
    audiences: String? = nil, stopTimeout: String = "20s", dispatch: String = "",
    pollInterval: String = "100ms"
  ) throws {
    var text = """
      data_dir = "var"
      message_id_domain = "commsd.test"
      \(extra)

      [log]
      level = "notice"

      [dispatch]
      poll_interval = "\(pollInterval)"
      max_in_flight = \(maxInFlight)
      stop_timeout = "\(stopTimeout)"
      \(dispatch)

      [retry]
      first_delay = "200ms"
      max_delay = "1s"
      give_up_after = "2m"

      \(audiences ?? Self.standardAudiences)
      """
    if let smtpPort {
      text += """

        [relays.test]
        url = "smtp://127.0.0.1:\(smtpPort)"
        from = "Krisestaben <krisestab@kommune.test>"
        tls = "none"
        timeout = "5s"
        \(relayLogin.map { "username = \"\($0.username)\"\npassword_file = \"\($0.passwordFile)\"" } ?? "")

        """
    }
    if let httpPort {
      text += """

        [endpoints.hook]
        url = "http://127.0.0.1:\(httpPort)/hook"
        secret = "\(Self.secret)"
        timeout = "5s"
        concurrency = \(endpointConcurrency)

        [endpoints.sms]
        url = "http://127.0.0.1:\(httpPort)/sms"
        secret = "\(Self.secret)"
        timeout = "5s"

        """
    }
    text += "\n" + recipients
    try text.write(toFile: configPath, atomically: true, encoding: .utf8)
  }

  /// Starts `commsd serve` on this workspace's configuration (or `config`).
  func startDaemon(
    name: String = "daemon", config: String? = nil, environment: [String: String] = [:]
  ) throws -> ChildProcess {
    let child = try ChildProcess(
      name: name, executable: Paths.commsd,
      arguments: ["serve", "--config", config ?? configPath],
      outputDirectory: directory, environment: environment)
    children.append(child)
    return child
  }

  /// Starts any long-running helper (stopped by PID with the rest).
  func start(name: String, executable: String, arguments: [String]) throws -> ChildProcess {
    let child = try ChildProcess(
      name: name, executable: executable, arguments: arguments, outputDirectory: directory)
    children.append(child)
    return child
  }

  /// Runs a `commsd` CLI command on this workspace's configuration.
  func commsd(_ arguments: [String], environment: [String: String] = [:]) async throws
    -> CommandResult
  {
    try await runCommand(
      Paths.commsd, arguments + ["--config", configPath], environment: environment)
  }

  /// `commsd send …`; returns the message id.
  func send(_ arguments: [String]) async throws -> String {
    let result = try await commsd(["send"] + arguments)
    guard result.status == 0, let id = result.stdout.split(separator: "\n").first else {
      throw TestFailure("commsd send failed (\(result.status)): \(result.stderr)")
    }
    return String(id)
  }

  /// `commsd status ID --json`, decoded.
  func status(_ id: String) async throws -> MessageStatus {
    let result = try await commsd(["status", id, "--json"])
    guard result.status == 0 else { throw TestFailure("commsd status failed: \(result.stderr)") }
    return try JSONCoding.decoder().decode(MessageStatus.self, from: Data(result.stdout.utf8))
  }

  /// Waits until every delivery of `id` is final; returns the status.
  @discardableResult
  func waitUntilFinal(_ id: String, timeout: Duration = .seconds(60)) async throws -> MessageStatus
  {
    var last: MessageStatus?
    try await eventually(
      timeout: timeout, "message \(id) to be final; last: \(String(describing: last?.counts))"
    ) {
      let status = try await self.status(id)
      last = status
      return status.plannedAt != nil
        && status.deliveries.allSatisfy {
          DeliveryState(rawValue: $0.state)?.isFinal == true
        }
    }
    return last!
  }

  func adopt(_ receiver: Receiver) -> Receiver {
    receivers.append(receiver)
    return receiver
  }

  /// Stops everything started here, by PID, and removes the folder unless
  /// the test failed (kept for reading the daemon's output).
  func tearDown(keep: Bool = false) async {
    for child in children { await child.stop() }
    for receiver in receivers { await receiver.stop() }
    if !keep { try? FileManager.default.removeItem(atPath: directory) }
  }
}

/// Runs `body` in a fresh workspace and always stops what it started; the
/// folder is kept when the body throws, for reading the daemon's output.
func withWorkspace(_ body: (Workspace) async throws -> Void) async throws {
  let workspace = try Workspace()
  do {
    try await body(workspace)
  } catch {
    await workspace.tearDown(keep: true)
    throw TestFailure("\(error) (workspace kept at \(workspace.directory))")
  }
  await workspace.tearDown()
}
