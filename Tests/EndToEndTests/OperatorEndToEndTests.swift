import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// What crisis staff see: the dashboard, `send --wait`, dead letters.
  @Suite struct Operator {
    static let recipients = [
      recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"]),
      recipient("r1", "Jens Pedersen", audiences: ["relatives"], contacts: ["hook:r1"]),
      recipient("r2", "Aisha Khan", audiences: ["relatives"], contacts: ["hook:r2"]),
    ].joined()

    @Test func theDashboardShowsTheLastMessagesPerAudience() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(smtpPort: nil, httpPort: http.port, recipients: Self.recipients)
        _ = try workspace.startDaemon()
        let first = try await workspace.send([
          "--audience", "staff", "--subject", "Vagtplan", "--body", "a",
        ])
        let second = try await workspace.send([
          "--audience", "staff,relatives", "--subject", "Besøg", "--body", "b",
        ])
        _ = try await workspace.waitUntilFinal(first)
        _ = try await workspace.waitUntilFinal(second)

        let table = try await workspace.commsd(["status"])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("MESSAGE") == true)
        // Newest first; one line per audience.
        #expect(
          lines[1].hasPrefix(second) && lines[1].contains("staff") && lines[1].contains("1/1"))
        #expect(lines[2].contains("relatives") && lines[2].contains("2/2"))
        #expect(lines[3].hasPrefix(first) && lines[3].contains("Vagtplan"))
        #expect(
          lines.last
            == "queue: flash 0, urgent 0, normal 0, bulk 0 · held: none · dead letters: 0")

        let json = try await workspace.commsd(["status", "--json", "--last", "1"])
        let messages = try #require(
          try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(messages.map { $0["id"] as? String } == [second])
        let audiences = try #require(messages.first?["audiences"] as? [[String: Any]])
        #expect(audiences.map { $0["audience"] as? String } == ["staff", "relatives"])
        #expect(audiences.map { $0["delivered"] as? Int } == [1, 2])
      }
    }

    @Test func sendWaitFollowsUntilEveryCopyIsFinal() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(
          try await Receiver.http(directory: workspace.directory, arguments: ["--delay-ms", "300"]))
        try workspace.writeConfig(smtpPort: nil, httpPort: http.port, recipients: Self.recipients)
        _ = try workspace.startDaemon()
        let result = try await workspace.commsd([
          "send", "--audience", "staff,relatives", "--subject", "Besøg", "--body", "b", "--wait",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let id = try #require(lines.first)
        #expect(MessageID.isWellFormed(id))
        // The last bars are the final state; the command returned only then.
        #expect(lines.suffix(2).first?.contains("1/1 delivered") == true, "\(lines)")
        #expect(lines.last?.contains("2/2 delivered") == true, "\(lines)")
        #expect(lines.last?.contains("on the way") == false)
        #expect(result.stderr.contains("Ctrl-C stops watching"))
        #expect(http.webhooks.count == 3)
      }
    }

    @Test func deadLettersAreListedAndSentAgain() async throws {
      try await withWorkspace { workspace in
        // The first request for each delivery is refused for good (410); the next succeeds.
        let http = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory,
            arguments: ["--fail-first", "1", "--fail-status", "410"]))
        try workspace.writeConfig(smtpPort: nil, httpPort: http.port, recipients: Self.recipients)
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "relatives", "--subject", "Besøg", "--body", "b",
        ])
        #expect(try await workspace.waitUntilFinal(id).counts == ["dead": 2])

        let list = try await workspace.commsd(["dead", "list"])
        #expect(list.stdout.contains("Jens Pedersen (r1)") && list.stdout.contains("410"))
        let json = try await workspace.commsd(["dead", "list", "--json", "--message", id])
        let dead = try #require(
          try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(dead.count == 2)
        let one = try #require(dead.first?["id"] as? String)

        let retried = try await workspace.commsd(["dead", "retry", one])
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(retried.stdout.contains(one))
        try await eventually(timeout: .seconds(30), "the retried one delivered") {
          try await workspace.status(id).counts == ["dead": 1, "delivered": 1]
        }
        let rest = try await workspace.commsd(["dead", "retry", id])
        #expect(rest.status == 0)
        #expect(try await workspace.waitUntilFinal(id).counts == ["delivered": 2])
        let again = try await workspace.commsd(["dead", "retry", id])
        #expect(again.status == 1)
        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        let events = try await store.auditEvents(kinds: ["delivery.retried"])
        #expect(events.count == 2)
        #expect(events.allSatisfy { $0.event.actor.hasPrefix("cli:") })
      }
    }

    @Test func everyCommandSpeaksJSONForScripts() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(smtpPort: nil, httpPort: http.port, recipients: Self.recipients)
        func object(_ arguments: [String]) async throws -> [String: Any] {
          let result = try await workspace.commsd(arguments + ["--json"])
          #expect(result.status == 0, "\(arguments): \(result.stderr)")
          return try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            "\(arguments): \(result.stdout)")
        }
        #expect(try await object(["config", "check"])["recipients"] as? String == "3")
        let sent = try await object([
          "send", "--audience", "staff", "--subject", "x", "--body", "y", "--idempotency-key", "k",
        ])
        #expect(sent["outcome"] as? String == "accepted")
        let id = try #require(sent["id"] as? String)
        let again = try await object([
          "send", "--audience", "staff", "--subject", "x", "--body", "y", "--idempotency-key", "k",
        ])
        #expect(again["outcome"] as? String == "duplicate" && again["id"] as? String == id)
        let cancelled = try await object(["cancel", id, "--reason", "fejl"])
        #expect(cancelled["id"] as? String == id && cancelled["withdrawn"] as? String == "0")
        #expect(try await object(["audit", "verify"])["intact"] as? String == "true")
        #expect(try await object(["status", id])["id"] as? String == id)
        let token = try await object(["token", "create", "care", "--audiences", "relatives"])
        #expect((token["hash"] as? String)?.hasPrefix("sha256:") == true)
        let approver = try await object([
          "token", "create", "politi", "--audiences", "police", "--rights", "approve,audit",
        ])
        #expect(approver["rights"] as? String == "approve,audit")
        let wrong = try await workspace.commsd([
          "token", "create", "x", "--audiences", "police", "--rights", "everything",
        ])
        #expect(wrong.status == 65 && wrong.stderr.contains("rights: expected send"))
      }
    }
  }
}
