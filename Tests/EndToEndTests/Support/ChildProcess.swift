import Foundation
import Synchronization

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
    Self.started.withLock { $0.append(self) }
  }

  var pid: Int32 { process.processIdentifier }
  var isRunning: Bool { process.isRunning }

  /// Set when the test itself ends the process (`stop`, `kill9`).
  private let ended = Mutex(false)

  /// Every child not yet ended by its test, so that a wait can see one die.
  private static let started = Mutex<[ChildProcess]>([])

  /// A child that died of a signal its test did not send (a trap, a crash),
  /// once: the wait that finds it fails at once with its last output,
  /// instead of running out its timeout (or hanging) against a dead daemon.
  static func takeCrashed() -> ChildProcess? {
    started.withLock { children in
      guard
        let index = children.firstIndex(where: {
          !$0.process.isRunning && $0.process.terminationReason == .uncaughtSignal
            && !$0.ended.withLock { $0 }
        })
      else { return nil }
      return children.remove(at: index)
    }
  }

  /// Why a crashed child failed the test: its signal and last output.
  var crashReport: String {
    "\(name) (pid \(pid)) died of signal \(process.terminationStatus); its last output:\n"
      + String(output.suffix(3000))
  }

  /// What the process printed so far.
  var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

  /// SIGKILL, as a crash would.
  func kill9() {
    markEnded()
    if process.isRunning { Glibc.kill(pid, SIGKILL) }
    process.waitUntilExit()
  }

  /// SIGTERM, then SIGKILL if still running after `grace`. Bounded: a
  /// process that outlives its SIGKILL by 10 s is left (and named).
  func stop(grace: Duration = .seconds(10)) async {
    markEnded()
    guard process.isRunning else { return }
    Glibc.kill(pid, SIGTERM)
    var deadline = ContinuousClock.now + grace
    while process.isRunning && ContinuousClock.now < deadline {
      try? await Task.sleep(for: .milliseconds(20))
    }
    guard process.isRunning else { return }
    Glibc.kill(pid, SIGKILL)
    deadline = ContinuousClock.now + .seconds(10)
    while process.isRunning && ContinuousClock.now < deadline {
      try? await Task.sleep(for: .milliseconds(20))
    }
    if process.isRunning { print("\(name) (pid \(pid)) is still running after SIGKILL") }
  }

  private func markEnded() {
    ended.withLock { $0 = true }
    Self.started.withLock { children in children.removeAll { $0 === self } }
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
    Glibc.kill(process.processIdentifier, SIGKILL)
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
    if let crashed = ChildProcess.takeCrashed() {
      throw TestFailure("while waiting for \(what()): \(crashed.crashReport)")
    }
    try await Task.sleep(for: .milliseconds(50))
  }
  throw TestFailure("timed out after \(timeout) waiting for \(what())")
}
