import Foundation
import PostgresTestSupport

/// Where the repository and the built `commsd` are, from this file's path.
enum Paths {
  static let repository: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }  // Support/EndToEndTests/Tests/<repo>
    return url.path
  }()

  static let receivers = (repository as NSString).appendingPathComponent("Tests/Receivers")

  /// The `commsd` binary: $COMMSD_BIN, else next to the running test bundle.
  static let commsd: String = {
    if let path = ProcessInfo.processInfo.environment["COMMSD_BIN"] { return path }
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = bundle.deletingLastPathComponent()
    while directory.path != "/" {
      let candidate = directory.appendingPathComponent("commsd").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      directory.deleteLastPathComponent()
    }
    return (repository as NSString).appendingPathComponent(".build/debug/commsd")
  }()
}

/// One recorded webhook request (see Tests/Receivers/README.md).
struct WebhookRecord: Decodable {
  var path: String
  var headers: [String: String]
  var body: String
  var status: Int
  var signatureValid: Bool?
  var receivedAt: Double

  var webhookID: String { headers["webhook-id"] ?? "" }

  /// The JSON payload commsd sent.
  var payload: [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
  }
}

/// One recorded email (see Tests/Receivers/README.md).
struct EmailRecord: Decodable {
  var mailFrom: String
  var rcptTos: [String]
  var subject: String?
  var from: String?
  var to: String?
  var messageId: String?
  var body: String?
  var headers: [String: String]
  var authUser: String?
}

/// A Python receiver from Tests/Receivers, started on a free loopback port.
final class Receiver: @unchecked Sendable {
  // @unchecked: used by one test at a time.
  let child: ChildProcess
  let port: Int
  let recordPath: String

  /// Starts `script` with `arguments`, waiting until it listens.
  init(script: String, name: String, directory: String, arguments: [String], port: Int = 0)
    async throws
  {
    let portFile = (directory as NSString).appendingPathComponent("\(name).port")
    recordPath = (directory as NSString).appendingPathComponent("\(name).jsonl")
    _ = FileManager.default.createFile(atPath: recordPath, contents: nil)
    child = try ChildProcess(
      name: name, executable: "/usr/bin/env",
      arguments: [
        "python3", (Paths.receivers as NSString).appendingPathComponent(script), "--port",
        String(port),
        "--port-file", portFile, "--record", recordPath,
      ] + arguments, outputDirectory: directory)
    let child = child
    try await eventually(timeout: .seconds(20), "\(name) to listen (output: \(child.output))") {
      FileManager.default.fileExists(atPath: portFile) || !child.isRunning
    }
    guard let text = try? String(contentsOfFile: portFile, encoding: .utf8),
      let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    else { throw TestFailure("\(name) did not start: \(child.output)") }
    self.port = port
  }

  static func http(
    directory: String, name: String = "http", port: Int = 0, arguments: [String] = []
  ) async throws -> Receiver {
    try await Receiver(
      script: "http_receiver.py", name: name, directory: directory, arguments: arguments,
      port: port)
  }

  static func smtp(
    directory: String, name: String = "smtp", port: Int = 0, arguments: [String] = []
  ) async throws
    -> Receiver
  {
    try await Receiver(
      script: "smtp_receiver.py", name: name, directory: directory, arguments: arguments, port: port
    )
  }

  private func lines() -> [Data] {
    guard let text = try? String(contentsOfFile: recordPath, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").map { Data($0.utf8) }
  }

  private static let decoder: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return decoder
  }()

  var webhooks: [WebhookRecord] {
    lines().compactMap { try? Self.decoder.decode(WebhookRecord.self, from: $0) }
  }
  var emails: [EmailRecord] {
    lines().compactMap { try? Self.decoder.decode(EmailRecord.self, from: $0) }
  }
  var count: Int { lines().count }

  func stop() async { await child.stop() }
}

/// A free TCP port on loopback (nobody listens there once this returns).
func freePort() throws -> Int { try TestPostgres.freePort() }
