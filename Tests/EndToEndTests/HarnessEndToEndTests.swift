import Foundation
import Testing

extension EndToEnd {
  /// The harness itself: a daemon that dies under a test fails that test at
  /// once, with its last output, instead of leaving it to time out or hang.
  @Suite struct Harness {
    @Test func aWaitFailsAtOnceWhenAChildDiesOfASignal() async throws {
      try await withWorkspace { workspace in
        let child = try ChildProcess(
          name: "trapper", executable: "/bin/sh",
          arguments: ["-c", "echo about to trap; kill -ILL $$"],
          outputDirectory: workspace.directory)
        let started = ContinuousClock.now
        var failure: (any Error)?
        do {
          try await eventually(timeout: .seconds(60), "something that never comes") { false }
        } catch {
          failure = error
        }
        let reason = try #require(failure.map { "\($0)" })
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(reason.contains("trapper"), "\(reason)")
        #expect(reason.contains("signal 4"), "\(reason)")
        #expect(reason.contains("about to trap"), "\(reason)")
        await child.stop()
      }
    }

    @Test func aChildStoppedByItsTestIsNoCrash() async throws {
      try await withWorkspace { workspace in
        let child = try ChildProcess(
          name: "sleeper", executable: "/bin/sleep", arguments: ["30"],
          outputDirectory: workspace.directory)
        child.kill9()
        var polls = 0
        try await eventually(timeout: .seconds(5), "three polls") {
          polls += 1
          return polls == 3
        }
        #expect(child.process.terminationReason == .uncaughtSignal)
      }
    }
  }
}
