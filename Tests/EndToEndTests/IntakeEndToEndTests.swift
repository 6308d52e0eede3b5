import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// `commsd send` hands its request to the running daemon over the intake
  /// socket, and writes the store itself only when no daemon runs.
  @Suite struct Intake {
    static let recipients = [
      recipient("staff-1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:mette"]),
      recipient("staff-2", "Søren Østergaard", audiences: ["staff"], contacts: ["hook:soeren"]),
    ].joined()

    /// A second configuration on the same data directory in which `staff` has
    /// nobody: a send that used it for intake would be refused.
    static func emptySenderConfig(_ workspace: Workspace, httpPort: Int) throws -> String {
      let daemonConfig = try String(contentsOfFile: workspace.configPath, encoding: .utf8)
      try workspace.writeConfig(
        smtpPort: nil, httpPort: httpPort,
        recipients: recipient("x", "X", audiences: ["council"], contacts: ["hook:x"]))
      let path = workspace.directory + "/sender.toml"
      try FileManager.default.moveItem(atPath: workspace.configPath, toPath: path)
      try daemonConfig.write(toFile: workspace.configPath, atomically: true, encoding: .utf8)
      return path
    }

    @Test func sendWhileTheDaemonRunsIsTakenByTheDaemon() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(smtpPort: nil, httpPort: http.port, recipients: Self.recipients)
        let senderConfig = try Self.emptySenderConfig(workspace, httpPort: http.port)
        // Without a daemon, that configuration's own view decides: refused.
        let direct = try await runCommand(
          Paths.commsd,
          [
            "send", "--audience", "staff", "--subject", "Hej", "--body", "x", "--config",
            senderConfig,
          ])
        #expect(direct.status == 65)
        #expect(direct.stderr.contains("staff has no recipients"), "\(direct.stderr)")

        _ = try workspace.startDaemon()
        try await eventually(timeout: .seconds(20), "the intake socket") {
          FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
        }
        let result = try await runCommand(
          Paths.commsd,
          [
            "send", "--audience", "staff", "--priority", "flash", "--subject", "Evakuering",
            "--body", "Forlad bygningen.", "--config", senderConfig,
          ])
        #expect(result.status == 0, "\(result.stderr)")
        let id = try #require(result.stdout.split(separator: "\n").first.map(String.init))
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["delivered": 2])
        #expect(
          Set(http.webhooks.map { $0.payload["contact"] as? String ?? "" }) == ["mette", "soeren"])
        // The daemon names the sender from the socket's peer credentials.
        #expect(status.sender.hasPrefix("cli:\(NSUserName())"), "\(status.sender)")
      }
    }

    @Test(arguments: [0, 1, 2, 4, 5])
    func refusalsFromTheDaemonNameTheFieldAndStoreNothing(case index: Int) async throws {
      let refusal = BadInput.refusals[index]
      try await withWorkspace { workspace in
        try workspace.writeConfig(smtpPort: nil, httpPort: 9, recipients: Self.recipients)
        _ = try workspace.startDaemon()
        try await eventually(timeout: .seconds(20), "the intake socket") {
          FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
        }
        let result = try await workspace.commsd(["send"] + refusal.arguments)
        #expect(result.status == refusal.status, "\(result.stderr)")
        #expect(result.stderr.contains(refusal.expected), "stderr was: \(result.stderr)")
        #expect(result.stdout.isEmpty)
        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        #expect(try await store.unplannedMessages(limit: 10, now: .distantFuture).isEmpty)
        #expect(try await store.auditEvents(kinds: ["message.accepted"]).isEmpty)
        try await BadInput.expectRefusalOnRecord(store, refusal)
      }
    }

    @Test func sendWithoutADaemonIsSentOnceOneStarts() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(smtpPort: nil, httpPort: http.port, recipients: Self.recipients)
        let id = try await workspace.send([
          "--audience", "staff", "--subject", "Hej", "--body", "x",
        ])
        #expect(http.webhooks.isEmpty)
        _ = try workspace.startDaemon()
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["delivered": 2])
        #expect(http.webhooks.count == 2)
      }
    }
  }
}
