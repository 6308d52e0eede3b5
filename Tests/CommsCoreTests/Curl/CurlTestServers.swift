import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A Python receiver started by a test as a subprocess on 127.0.0.1 and
/// stopped by its PID. It appends what it received to `recordFile`, one JSON
/// object a line.
struct TestReceiver: Sendable {
  let process: Process
  let port: Int
  let directory: URL

  var recordFile: URL { directory.appendingPathComponent("records.jsonl") }
  var caFile: String { directory.appendingPathComponent("cert.pem").path }

  /// Starts `script` (next to this file) with the record file first, then
  /// `arguments`, and waits for the port it prints.
  static func start(_ script: String, _ arguments: [String] = []) throws -> TestReceiver {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("curl-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let scriptURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent(script)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      ["python3", scriptURL.path, directory.appendingPathComponent("records.jsonl").path]
      + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    guard let line = readLine(output.fileHandleForReading.fileDescriptor, within: 20_000),
      let port = Int(line)
    else {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      throw TestServerError.noPort(script)
    }
    return TestReceiver(process: process, port: port, directory: directory)
  }

  /// Stops the receiver by PID and waits for it to exit. SIGKILL, because
  /// the child inherits the signal mask of the test's worker thread, which
  /// may block SIGTERM; the receivers keep nothing that needs a clean exit.
  func stop() {
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
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
    return try data.split(separator: UInt8(ascii: "\n")).map {
      try decoder.decode(Record.self, from: Data($0))
    }
  }
}

/// What the HTTP receiver wrote down for one POST.
struct ReceivedPost: Decodable {
  var path: String
  var headers: [[String]]
  var body: String
  var clientPort: Int

  var bodyBytes: [UInt8] { Array(Data(base64Encoded: body) ?? Data()) }

  func header(_ name: String) -> String? {
    headers.first { $0.first?.lowercased() == name.lowercased() }?.last
  }
}

/// What the SMTP receiver wrote down for one accepted message.
struct ReceivedMail: Decodable {
  var mailFrom: String
  var recipients: [String]
  var content: String
  var login: String?
  var encrypted: Bool

  var contentBytes: [UInt8] { Array(Data(base64Encoded: content) ?? Data()) }
}

enum TestServerError: Error {
  case noPort(String)
}

/// Runs `body` against a receiver started for it, and stops the receiver
/// afterwards whatever happens.
func withReceiver<T>(
  _ script: String, _ arguments: [String] = [], _ body: (TestReceiver) async throws -> T
) async throws -> T {
  let receiver = try TestReceiver.start(script, arguments)
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

/// Reads one line from `fd`, giving up after `milliseconds` without one.
private func readLine(_ fd: Int32, within milliseconds: Int) -> String? {
  var bytes: [UInt8] = []
  let deadline = ContinuousClock.now + .milliseconds(milliseconds)
  while ContinuousClock.now < deadline {
    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let left = deadline - ContinuousClock.now
    let waitMillis = Int32(max(1, left.components.seconds * 1000 + 1))
    guard poll(&poller, 1, waitMillis) > 0 else { continue }
    var byte: UInt8 = 0
    guard read(fd, &byte, 1) == 1 else { return nil }  // the script exited
    if byte == UInt8(ascii: "\n") {
      return String(decoding: bytes, as: UTF8.self)
    }
    bytes.append(byte)
  }
  return nil
}
