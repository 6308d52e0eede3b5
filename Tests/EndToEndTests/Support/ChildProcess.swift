import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A process a test starts and always stops by PID, with its output in a file
/// (so a chatty child never blocks on a full pipe).
final class ChildProcess: @unchecked Sendable {
  // @unchecked: `process` is only touched by the test that owns this object.
  let process = Process()
  let name: String
  let outputPath: String

  init(
    name: String, executable: String, arguments: [String], outputDirectory: String,
    environment: [String: String] = [:]
  ) throws {
    self.name = name
    outputPath = (outputDirectory as NSString).appendingPathComponent("\(name).out")
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = handle
    process.standardError = handle
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    process.environment = env
    try process.run()
  }

  var pid: Int32 { process.processIdentifier }
  var isRunning: Bool { process.isRunning }

  /// What the process printed so far.
  var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

  /// SIGKILL, as a crash would.
  func kill9() {
    if process.isRunning { Glibc.kill(pid, SIGKILL) }
    process.waitUntilExit()
  }

  /// SIGTERM, then SIGKILL if still running after `grace`.
  func stop(grace: Duration = .seconds(10)) async {
    guard process.isRunning else { return }
    Glibc.kill(pid, SIGTERM)
    let deadline = ContinuousClock.now + grace
    while process.isRunning && ContinuousClock.now < deadline {
      try? await Task.sleep(for: .milliseconds(20))
    }
    if process.isRunning { Glibc.kill(pid, SIGKILL) }
    process.waitUntilExit()
  }

  deinit {
    if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
  }
}

/// The result of running a command to completion.
struct CommandResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Runs `executable` to completion with a time bound.
func runCommand(
  _ executable: String, _ arguments: [String], environment: [String: String] = [:],
  timeout: Duration = .seconds(60)
) async throws -> CommandResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if !environment.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  }
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
    "commsd-cmd-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: directory) }
  let out = directory.appendingPathComponent("out")
  let err = directory.appendingPathComponent("err")
  _ = FileManager.default.createFile(atPath: out.path, contents: nil)
  _ = FileManager.default.createFile(atPath: err.path, contents: nil)
  process.standardOutput = try FileHandle(forWritingTo: out)
  process.standardError = try FileHandle(forWritingTo: err)
  process.standardInput = FileHandle.nullDevice
  try process.run()
  let deadline = ContinuousClock.now + timeout
  while process.isRunning && ContinuousClock.now < deadline {
    try await Task.sleep(for: .milliseconds(10))
  }
  if process.isRunning {
    process.terminate()
    process.waitUntilExit()
    throw TestFailure(
      "\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
  }
  process.waitUntilExit()
  return CommandResult(
    status: process.terminationStatus,
    stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
    stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}

/// A failure of the test setup itself, with a readable reason.
struct TestFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `timeout` passes. For waiting on
/// another process (a receiver, the daemon), where no event can be awaited.
func eventually(
  timeout: Duration = .seconds(30), _ what: @autoclosure () -> String,
  _ condition: () async throws -> Bool
) async throws {
  let deadline = ContinuousClock.now + timeout
  while ContinuousClock.now < deadline {
    if try await condition() { return }
    try await Task.sleep(for: .milliseconds(50))
  }
  throw TestFailure("timed out after \(timeout) waiting for \(what())")
}
