import CommsCore
import Foundation
import Testing

extension EndToEnd {
  @Suite struct BadInput {
    static let recipients = recipient(
      "staff-1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:mette"])

    /// Sends that must be refused, the words the error must contain, and the exit status.
    static let refusals: [(arguments: [String], expected: String, status: Int32)] = [
      (["--audience", "staff", "--subject", "", "--body", "x"], "subject: must not be empty", 65),
      (
        ["--audience", "staff", "--subject", "   ", "--body", "x"], "subject: must not be empty", 65
      ),
      (
        ["--audience", "firemen", "--subject", "Hej", "--body", "x"],
        "unknown audience \"firemen\"", 65
      ),
      (
        ["--audience", "staff", "--subject", "Hej", "--body-file", "/nonexistent/body.txt"],
        "cannot read /nonexistent/body.txt", 66
      ),
      (
        ["--audience", "staff", "--subject", "Hej\r\nBcc: evil@example.test", "--body", "x"],
        "line breaks are refused", 65
      ),
      (
        ["--audience", "staff", "--subject", "Hej", "--body", " \n "], "body: must not be empty", 65
      ),
    ]

    /// A refusal that reached intake is on record: who, which field, why.
    static func expectRefusalOnRecord(
      _ store: SQLiteStore, _ refusal: (arguments: [String], expected: String, status: Int32)
    ) async throws {
      let refused = try await store.auditEvents(kinds: ["request.refused"]).map(\.event)
      #expect(refused.count == (refusal.status == 65 ? 1 : 0))
      if let event = refused.first {
        let said = "\(event.detail["field"] ?? ""): \(event.detail["reason"] ?? "")"
        #expect(said.contains(refusal.expected), "\(said)")
        #expect(event.actor.hasPrefix("cli:"))
      }
    }

    @Test(arguments: 0..<refusals.count)
    func refusedSendExplainsAndQueuesNothing(case index: Int) async throws {
      let refusal = Self.refusals[index]
      try await withWorkspace { workspace in
        try workspace.writeConfig(smtpPort: nil, httpPort: 9, recipients: Self.recipients)
        let result = try await workspace.commsd(["send"] + refusal.arguments)
        #expect(result.status == refusal.status, "\(result.stderr)")
        #expect(result.stderr.contains(refusal.expected), "stderr was: \(result.stderr)")
        #expect(result.stdout.isEmpty)
        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        #expect(try await store.unplannedMessages(limit: 10, now: .distantFuture).isEmpty)
        try await BadInput.expectRefusalOnRecord(store, refusal)
      }
    }

    @Test func brokenConfigurationIsNamedWithFileAndLine() async throws {
      try await withWorkspace { workspace in
        try workspace.writeConfig(smtpPort: nil, httpPort: 9, recipients: Self.recipients)
        var lines = try String(contentsOfFile: workspace.configPath, encoding: .utf8).components(
          separatedBy: "\n")
        let index = try #require(lines.firstIndex { $0.hasPrefix("first_delay") })
        lines[index] = "first_delay = \"soon\""
        lines.append(
          "[[recipients]]\nid = \"x\"\nname = \"X\"\naudiences = [\"firemen\"]\ncontacts = [\"not-an-address\"]"
        )
        try lines.joined(separator: "\n").write(
          toFile: workspace.configPath, atomically: true, encoding: .utf8)
        let result = try await workspace.commsd(["config", "check"])
        #expect(result.status == 78)
        let path = workspace.configPath
        #expect(
          result.stderr.contains("\(path):\(index + 1): retry.first_delay: expected a duration"),
          "\(result.stderr)")
        #expect(result.stderr.contains("unknown audience \"firemen\""))
        #expect(result.stderr.contains("a contact is not a valid email address"))
        #expect(!result.stderr.contains("not-an-address"), "contacts are not repeated")
      }
    }

    @Test func tomlSyntaxErrorIsNamedWithFileAndLine() async throws {
      try await withWorkspace { workspace in
        try "data_dir = \"var\"\n[relays.x]\nurl = \"smtp://127.0.0.1:25\n".write(
          toFile: workspace.configPath, atomically: true, encoding: .utf8)
        let result = try await workspace.commsd(["config", "check"])
        #expect(result.status == 78)
        #expect(result.stderr.hasPrefix("\(workspace.configPath):3:"), "\(result.stderr)")
      }
    }

    @Test func exampleConfigurationPassesTheCheck() async throws {
      let result = try await runCommand(
        Paths.commsd,
        ["config", "check", "--config", Paths.repository + "/config/example/commsd.toml"])
      #expect(result.status == 0, "\(result.stderr)")
      #expect(result.stdout.contains("OK"))
    }
  }
}
