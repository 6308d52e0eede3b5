import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A receiver from Tests/Receivers (see its README.md) started by a test as a
/// subprocess on 127.0.0.1 and stopped by its PID. It appends what it
/// received to `recordFile`, one JSON object a line.
struct TestReceiver: Sendable {
  let process: Process
  let port: Int
  let directory: URL

  var recordFile: URL { directory.appendingPathComponent("records.jsonl") }
  var errorFile: URL { directory.appendingPathComponent("stderr.txt") }
  /// The self-signed certificate written by a TLS option, to trust as a CA.
  var caFile: String { directory.appendingPathComponent("tls/cert.pem").path }

  /// Tests/Receivers, from this file's path (symlinks resolved first, so it
  /// also works from a package that links this directory in).
  static let receivers = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent()  // Tests/CommsCoreTests/Curl
    .appendingPathComponent("../../Receivers").standardizedFileURL

  /// Starts `script` from Tests/Receivers on a free port with a record file,
  /// then `arguments`, and waits until it has written its port file.
  /// `tlsOption` (`--tls-cert-dir`, `--starttls`, `--implicit-tls`) is passed
  /// with the directory the certificate goes to (`caFile`).
  static func start(
    _ script: String, _ arguments: [String] = [], tlsOption: String? = nil
  ) throws -> TestReceiver {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("curl-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let portFile = directory.appendingPathComponent("port")
    let errorFile = directory.appendingPathComponent("stderr.txt")
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      [
        "python3", receivers.appendingPathComponent(script).path, "--host", "127.0.0.1",
        "--port", "0", "--port-file", portFile.path,
        "--record", directory.appendingPathComponent("records.jsonl").path,
      ]
      + (tlsOption.map { [$0, directory.appendingPathComponent("tls").path] } ?? []) + arguments
    process.standardOutput = FileHandle.nullDevice  // only the PORT line
    let errorHandle = try FileHandle(forWritingTo: errorFile)
    process.standardError = errorHandle
    defer { try? errorHandle.close() }  // the child has its own copy
    try process.run()

    let deadline = ContinuousClock.now + .seconds(20)
    while ContinuousClock.now < deadline, process.isRunning,
      !FileManager.default.fileExists(atPath: portFile.path)
    {
      usleep(10_000)
    }
    guard let text = try? String(contentsOf: portFile, encoding: .utf8),
      let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    else {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      let errors = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
      try? FileManager.default.removeItem(at: directory)
      throw TestServerError.noPort(script, errors)
    }
    return TestReceiver(process: process, port: port, directory: directory)
  }

  /// Stops the receiver with SIGTERM, by PID, and waits for it to exit. The
  /// receivers clear the signal mask they inherit from the test's worker
  /// thread, so they must exit cleanly (status 0) and must have written
  /// nothing to stderr; SIGKILL only if one hangs.
  func stop() {
    kill(process.processIdentifier, SIGTERM)
    let deadline = ContinuousClock.now + .seconds(5)
    while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    let errors = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
    #expect(
      process.terminationReason == .exit && process.terminationStatus == 0,
      "receiver did not stop cleanly on SIGTERM: \(process.terminationReason) \(process.terminationStatus)"
    )
    #expect(errors.isEmpty, "receiver wrote to stderr: \(errors)")
    try? FileManager.default.removeItem(at: directory)
  }

  /// Polls `condition` about every 10 ms until it holds or `timeout` passes:
  /// the receiver writes to a file, so there is no event to wait on.
  func eventually(
    within timeout: Duration = .seconds(5), _ condition: (TestReceiver) throws -> Bool
  ) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      if try condition(self) { return true }
      try await Task.sleep(for: .milliseconds(10))
    }
    return try condition(self)
  }

  func records<Record: Decodable>(as type: Record.Type = Record.self) throws -> [Record] {
    guard let data = FileManager.default.contents(atPath: recordFile.path) else { return [] }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try data.split(separator: UInt8(ascii: "\n")).map {
      try decoder.decode(Record.self, from: Data($0))
    }
  }
}

/// What the HTTP receiver recorded for one request (Tests/Receivers/README.md).
struct ReceivedPost: Decodable {
  var path: String
  var method: String
  /// Names lower-cased, repeated headers joined with ", ".
  var headers: [String: String]
  var bodyBase64: String
  var status: Int
  var clientPort: Int

  var bodyBytes: [UInt8] { Array(Data(base64Encoded: bodyBase64) ?? Data()) }

  func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// What the SMTP receiver recorded for one accepted message
/// (Tests/Receivers/README.md).
struct ReceivedMail: Decodable {
  var mailFrom: String
  var rcptTos: [String]
  /// The message as received (after dot-unstuffing), decoded as UTF-8 (or
  /// latin-1 if it is not UTF-8).
  var raw: String
  var authUser: String?
  var tls: Bool
}

enum TestServerError: Error {
  case noPort(String, String)
}

/// The HTTP receiver as these tests use it: `200 ok` with `X-Receiver: test`,
/// paths `/status/N[?retry-after=S]`, `/delay/MS` and `/big` (a 200,000-byte
/// answer), bodies up to 4 MiB; HTTPS with `tls`.
func withHTTPReceiver<T>(tls: Bool = false, _ body: (TestReceiver) async throws -> T)
  async throws -> T
{
  let options = [
    "--status", "200", "--answer-body", "ok", "--answer-header", "X-Receiver: test",
    "--control-paths", "--body-limit", String(4 * 1024 * 1024),
  ]
  return try await withReceiver(
    "http_receiver.py", options, tlsOption: tls ? "--tls-cert-dir" : nil, body)
}

/// The SMTP receiver with `arguments` (e.g. `--auth`, `--reject`) and
/// `tlsOption` (`--starttls` or `--implicit-tls`).
func withSMTPReceiver<T>(
  _ arguments: [String] = [], tlsOption: String? = nil, _ body: (TestReceiver) async throws -> T
) async throws -> T {
  try await withReceiver("smtp_receiver.py", arguments, tlsOption: tlsOption, body)
}

/// Runs `body` against a receiver started for it, and stops the receiver
/// afterwards whatever happens.
func withReceiver<T>(
  _ script: String, _ arguments: [String] = [], tlsOption: String? = nil,
  _ body: (TestReceiver) async throws -> T
) async throws -> T {
  let receiver = try TestReceiver.start(script, arguments, tlsOption: tlsOption)
  defer { receiver.stop() }
  return try await body(receiver)
}

/// A port on 127.0.0.1 that nothing listens on (bound, then closed).
func unusedPort() -> Int {
  #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
  #endif
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  _ = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
      _ = bind(fd, pointer, length)
      return getsockname(fd, pointer, &length)
    }
  }
  return Int(UInt16(bigEndian: address.sin_port))
}
