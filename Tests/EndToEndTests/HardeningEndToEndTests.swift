import CommsCore
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension EndToEnd {
  /// Input from a receiver or a typo that once stopped the daemon (issue 16).
  @Suite struct Hardening {
    /// A receiver answering 503 with `Retry-After: 100000000000000000` once
    /// made the daemon trap formatting a date in the year 3 billion, and the
    /// crash repeated after every restart. Now the pause is bounded by the
    /// endpoint's `max_pause` and `[retry] max_delay` (1 s here): the daemon
    /// stays up, email keeps flowing, and every webhook arrives on its second try.
    @Test func aReceiverAskingForAnEndlessPauseNeitherStopsTheDaemonNorParksDeliveries()
      async throws
    {
      try await withWorkspace { workspace in
        let http = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory,
            arguments: ["--fail-first", "1", "--retry-after", "100000000000000000"]))
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        let recipients = (1...30).map { index in
          recipient(
            "s-\(index)", "Person \(index)", audiences: ["staff"],
            contacts: [index % 3 == 0 ? "person\(index)@kommune.test" : "hook:p\(index)"])
        }.joined()
        try workspace.writeConfig(smtpPort: smtp.port, httpPort: http.port, recipients: recipients)
        // The circuit breaker (its own 30 s policy) stays out of this test.
        var text = try String(contentsOfFile: workspace.configPath, encoding: .utf8)
        text = text.replacingOccurrences(
          of: "url = \"http://127.0.0.1:\(http.port)/hook\"",
          with: "url = \"http://127.0.0.1:\(http.port)/hook\"\nbreaker_failures = 1000")
        try text.write(toFile: workspace.configPath, atomically: true, encoding: .utf8)
        let daemon = try workspace.startDaemon(environment: ["SWIFT_BACKTRACE": "enable=no"])
        let id = try await workspace.send([
          "--audience", "staff", "--subject", "Besøgsforbud", "--body", "Tekst",
        ])
        let status = try await workspace.waitUntilFinal(id, timeout: .seconds(60))
        #expect(status.counts == ["delivered": 30])
        #expect(daemon.isRunning)
        #expect(!daemon.output.contains("Fatal error"), "\(daemon.output)")
        #expect(smtp.emails.count == 10)
        let hooks = http.webhooks
        #expect(hooks.filter { $0.status == 503 }.count == 20)
        #expect(Set(hooks.filter { $0.status == 204 }.map(\.webhookID)).count == 20)
        // Each delivery's second try came within the retry policy (1 s at
        // most, plus the round), not after the pause the receiver asked for.
        let byID = Dictionary(grouping: hooks, by: \.webhookID)
        for (webhookID, tries) in byID {
          let times = tries.map(\.receivedAt).sorted()
          #expect(times.count == 2 && times[1] - times[0] < 5, "\(webhookID): \(times)")
        }
      }
    }

    /// `lease = "99999999999999999d"` once trapped `config check` and the
    /// reload; now it is refused naming file, line and key (exit 78), and a
    /// reload with it keeps the running configuration and is audited.
    @Test func aHugeDurationIsRefusedByTheCheckAndByAReload() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let one = recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"])
        try workspace.writeConfig(smtpPort: nil, httpPort: http.port, recipients: one)
        let good = try String(contentsOfFile: workspace.configPath, encoding: .utf8)
        let daemon = try workspace.startDaemon(environment: ["SWIFT_BACKTRACE": "enable=no"])
        try await eventually(timeout: .seconds(20), "the intake socket") {
          FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
        }

        var lines = good.components(separatedBy: "\n")
        let index = try #require(lines.firstIndex { $0.hasPrefix("poll_interval") })
        lines.insert("lease = \"99999999999999999d\"", at: index + 1)
        try lines.joined(separator: "\n").write(
          toFile: workspace.configPath, atomically: true, encoding: .utf8)
        let check = try await workspace.commsd(["config", "check"])
        #expect(check.status == 78)
        #expect(
          check.stderr.contains(
            "\(workspace.configPath):\(index + 2): dispatch.lease: \"99999999999999999d\" is longer than commsd takes"
          ), "\(check.stderr)")
        #expect(!check.stderr.contains("Fatal error"))

        kill(daemon.pid, SIGHUP)
        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        try await eventually(timeout: .seconds(10), "the refusal in the audit log") {
          try await !store.auditEvents(kinds: ["config.refused"]).isEmpty
        }
        let refusal = try #require(
          try await store.auditEvents(kinds: ["config.refused"]).first?.event)
        #expect(refusal.detail["errors"]?.contains("dispatch.lease") == true, "\(refusal.detail)")
        #expect(daemon.isRunning)
        // The running configuration still delivers.
        try good.write(toFile: workspace.configPath, atomically: true, encoding: .utf8)
        let id = try await workspace.send(["--audience", "staff", "--subject", "A", "--body", "a"])
        #expect(try await workspace.waitUntilFinal(id).counts == ["delivered": 1])
      }
    }

    /// A reload refused for a bad recipient row names file, line and column,
    /// but neither the journal (the daemon's output) nor the audit chain
    /// repeats the row's phone number or address: they outlive retention.
    @Test func aBadRecipientRowLeavesNoPersonalDataInTheLogOrTheAudit() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let list = workspace.directory + "/staff.csv"
        try "id;name;audiences;contacts\ns1;Mette Hansen;staff;sms:+4520000001\n".write(
          toFile: list, atomically: true, encoding: .utf8)
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port, recipients: "",
          extra: "recipient_lists = [\"\(list)\"]")
        let daemon = try workspace.startDaemon()
        try await eventually(timeout: .seconds(20), "the intake socket") {
          FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
        }
        try """
        id;name;audiences;contacts
        s1;Mette Hansen;staff;sms:+4520000001
        s2;Jens Pedersen;staff;sms:+45 9911 2233
        s3;Anna Kowalski;staff;anna.kowalski@@example.org
        s4;Ole Bæk;staff;teams:ole.baek.private
        """.write(toFile: list, atomically: true, encoding: .utf8)
        let check = try await workspace.commsd(["config", "check"])
        #expect(check.status == 78)
        #expect(check.stderr.contains("staff.csv:3: contacts: invalid phone number"))
        kill(daemon.pid, SIGHUP)
        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        try await eventually(timeout: .seconds(10), "the refusal in the audit log") {
          try await !store.auditEvents(kinds: ["config.refused"]).isEmpty
        }
        let refusal = try #require(
          try await store.auditEvents(kinds: ["config.refused"]).first?.event)
        let errors = refusal.detail["errors"] ?? ""
        #expect(errors.contains("staff.csv:3") && errors.contains("staff.csv:5"), "\(errors)")
        try await eventually(timeout: .seconds(5), "the refusal in the log") {
          daemon.output.contains("reload refused")
        }
        for secret in ["9911", "2233", "kowalski@", "ole.baek", "Jens", "Anna"] {
          #expect(!errors.contains(secret), "the audit event repeats \(secret): \(errors)")
          #expect(!daemon.output.contains(secret), "the log repeats \(secret)")
          #expect(!check.stderr.contains(secret), "config check repeats \(secret)")
        }
      }
    }
  }
}
