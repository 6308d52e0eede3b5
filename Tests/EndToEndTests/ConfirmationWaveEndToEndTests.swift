import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// Issue 20 end to end: 35 care-home leaders asked to confirm a visiting
  /// ban. Replies come as SMS through a fake GatewayAPI (its documented MO
  /// callback), links are pressed in Debian's Chromium, a scanner's GET
  /// confirms nothing, and after 15 minutes (the daemon's clock moved by
  /// COMMSD_TEST_CLOCK_FILE, not waited for) the deputies of those who have not
  /// confirmed get wave 2.
  @Suite struct ConfirmationWaves {
    static let webhookToken = "gw-webhook-t0ken"

    /// The daemon's and the CLI's clock: real time plus the seconds in
    /// `clock.offset` (`COMMSD_TEST_CLOCK_FILE`, read anew within 50 ms;
    /// timers are left alone).
    struct FakeClock {
      let file: String

      init(_ workspace: Workspace) throws {
        file = workspace.directory + "/clock.offset"
        try set(minutes: 0)
      }

      func set(minutes: Int) throws {
        try String(minutes * 60).write(toFile: file, atomically: true, encoding: .utf8)
      }

      var environment: [String: String] { [TestClockOffset.variable: file] }
    }

    @Test func thirtyFiveLeadersConfirmBySMSAndLinkAndTheDeputiesOfTheRestGetWaveTwo()
      async throws
    {
      try await withWorkspace { workspace in
        let clock = try FakeClock(workspace)
        let fake = clock.environment
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        let gateway = workspace.adopt(try await Receipts.fakeGateway(workspace))
        let port = try freePort()
        let endpoint = try Receipts.receiptEndpoint(workspace, gateway: gateway, callbackPort: port)
        // Leaders 1-30 and 34-35 read SMS, 31-33 email; each names a deputy.
        var people = ""
        for number in 1...35 {
          let id = String(format: "l%02d", number)
          let contact =
            (31...33).contains(number)
            ? "\(id)@kommune.test" : String(format: "gw:+452000%04d", number)
          people +=
            recipient(id, "Leder \(number)", audiences: ["leaders"], contacts: [contact])
            + "attributes = { deputy = \"\(String(format: "d%02d", number))\", home = \"\(number >= 34 ? "solgaarden" : "andet")\" }\n\n"
          people += recipient(
            String(format: "d%02d", number), "Stedfortræder \(number)", audiences: ["deputies"],
            contacts: [String(format: "d%02d@kommune.test", number)])
        }
        let audiences =
          Workspace.standardAudiences
          + "\n[audiences.leaders]\ndosing.quiet_hours = \"none\"\n[audiences.deputies]\ndosing.quiet_hours = \"none\"\n"
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: nil, recipients: endpoint + people,
          extra: Workspace.apiSection(port: port, tokens: [])
            + "[confirm]\npublic_url = \"http://127.0.0.1:\(port)\"\n",
          audiences: audiences)
        let client = APIClient(base: "http://127.0.0.1:\(port)")
        let daemon = try workspace.startDaemon(environment: fake)
        try await eventually(timeout: .seconds(30), "the API to be ready") {
          (try? await client.call("GET", "/readyz"))?.status == 200
        }
        _ = daemon
        func commsd(_ arguments: [String]) async throws -> CommandResult {
          try await workspace.commsd(arguments, environment: fake)
        }
        func status(_ id: String) async throws -> MessageStatus {
          let result = try await commsd(["status", id, "--json"])
          return try JSONCoding.decoder().decode(MessageStatus.self, from: Data(result.stdout.utf8))
        }

        let sent = try await commsd([
          "send", "--audience", "leaders", "--priority", "urgent", "--subject", "Besøgsforbud",
          "--body", "Besøgsforbud på alle plejehjem fra kl. 12.", "--confirm",
          "--confirm-within", "30m", "--escalate-after", "15m", "--escalate-to", "@deputy",
        ])
        let id = try #require(sent.stdout.split(separator: "\n").first.map(String.init))
        var current = try await status(id)
        try await eventually(timeout: .seconds(60), "35 copies out: \(current.counts)") {
          current = try await status(id)
          return current.counts == ["sent": 32, "delivered": 3]
        }
        #expect(current.confirmation?.nextWaveAt != nil)

        // 30 leaders answer OK by SMS; the gateway calls commsd back.
        var replies: [String] = []
        for number in 1...30 {
          replies += [
            "--reply", String(format: "452000%04d", number) + (number % 2 == 0 ? "=OK" : "=ja!"),
          ]
        }
        let mo = try await runCommand(
          "/usr/bin/env",
          [
            "python3", Paths.receivers + "/gatewayapi_mo.py", "--to",
            "http://127.0.0.1:\(port)/v1/inbound/gw", "--secret", Self.webhookToken,
          ] + replies)
        #expect(mo.status == 0, "\(mo.stderr)")
        #expect(
          mo.stdout.split(separator: "\n").filter { $0.hasSuffix(#"{"outcome":"confirmed"}"#) }
            .count == 30, "\(mo.stdout)")

        // Two leaders press the button in a browser; a scanner GETs the third's link.
        var links: [String: String] = [:]
        for email in smtp.emails {
          if let found = email.body?.firstMatch(
            of: /http:\/\/127\.0\.0\.1:\d+\/c\/[0-9A-Z]{26}\.[A-Za-z0-9_-]{22}/),
            let to = email.rcptTos.first
          {
            links[to] = String(found.output)
          }
        }
        for leader in ["l31", "l32"] {
          let url = try #require(links["\(leader)@kommune.test"], "\(links)")
          let browser = try await runCommand(
            "/usr/bin/env",
            [
              "python3", Paths.repository + "/Tests/Browser/confirm_in_browser.py", "--url", url,
              "--shots", workspace.directory + "/screenshots", "--name", leader,
            ], timeout: .seconds(90))
          #expect(browser.status == 0, "\(browser.stderr)")
        }
        let scanned = try await runCommand(
          "/usr/bin/curl",
          ["-s", "-o", "/dev/null", "-w", "%{http_code}", links["l33@kommune.test"] ?? ""])
        #expect(scanned.stdout == "200")

        current = try await status(id)
        var summary = try #require(current.confirmation)
        #expect(summary.confirmed == 32 && summary.byWay == ["sms": 30, "link": 2], "\(summary)")
        #expect(summary.notConfirmed.map(\.id) == ["l33", "l34", "l35"])
        #expect(summary.waves.isEmpty)

        // +15 minutes on the daemon's clock: wave 2 goes to the three deputies.
        try clock.set(minutes: 15)
        try await eventually(timeout: .seconds(30), "wave 2: \(String(describing: summary.waves))")
        {
          summary = try #require(try await status(id).confirmation)
          return summary.waves.first?.sent == 3
        }
        #expect(summary.waves.map(\.number) == [2] && summary.waves.first?.chased == 3)
        let deputyMail = Set(smtp.emails.flatMap(\.rcptTos).filter { $0.hasPrefix("d") })
        #expect(deputyMail == ["d33@kommune.test", "d34@kommune.test", "d35@kommune.test"])
        let text = try await commsd(["status", id])
        #expect(text.stdout.contains("confirmed 32 of 35 by "), "\(text.stdout)")
        #expect(
          text.stdout.contains("NOT CONFIRMED 3: Leder 33 (l33), Leder 34 (l34), Leder 35 (l35)"))
        #expect(text.stdout.contains("3 not confirmed, 3 to deputies, sent to 3"), "\(text.stdout)")
        let dashboard = try await commsd(["status"])
        #expect(dashboard.stdout.contains("32/35 +w2"), "\(dashboard.stdout)")

        // After the deadline: leader 34's "JA" is late.
        try clock.set(minutes: 31)
        let late = try await runCommand(
          "/usr/bin/env",
          [
            "python3", Paths.receivers + "/gatewayapi_mo.py", "--to",
            "http://127.0.0.1:\(port)/v1/inbound/gw", "--secret", Self.webhookToken,
            "--reply", "4520000034=JA", "--reply", "4520000035=Hvornår må vi igen?",
          ])
        #expect(late.stdout.contains(#"{"outcome":"confirmed_late"}"#), "\(late.stdout)")
        #expect(late.stdout.contains(#""outcome":"inquiry""#), "\(late.stdout)")
        summary = try #require(try await status(id).confirmation)
        #expect(summary.confirmed == 32 && summary.late == 1)

        // A cancel before a wave stops it: two messages to the Solgården
        // leaders, one cancelled; the other's wave shows the turn has come.
        func confirmSend(_ subject: String) async throws -> String {
          let result = try await commsd([
            "send", "--audience", "leaders", "--where", "home=solgaarden", "--priority", "urgent",
            "--subject", subject, "--body", "Tekst.", "--confirm", "--escalate-after", "15m",
            "--escalate-to", "@deputy",
          ])
          return try #require(result.stdout.split(separator: "\n").first.map(String.init))
        }
        let cancelled = try await confirmSend("Fejl")
        let kept = try await confirmSend("Opfølgning")
        let cancel = try await commsd([
          "cancel", cancelled, "--reason", "Sendt ved en fejl", "--notify",
        ])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        try clock.set(minutes: 50)
        try await eventually(timeout: .seconds(30), "the kept message's wave") {
          try await status(kept).confirmation?.waves.count == 1
        }
        let stopped = try #require(try await status(cancelled).confirmation)
        #expect(stopped.waves.isEmpty && stopped.nextWaveAt == nil)

        let verify = try await commsd(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let audit = try await commsd(["audit", "export", "--since", "2h"])
        let lines = audit.stdout.split(separator: "\n")
        #expect(lines.filter { $0.contains("\"confirmation.received\"") }.count == 33)
        #expect(lines.filter { $0.contains("\"confirmation.wave\"") }.count == 2)
        #expect(lines.filter { $0.contains("\"inquiry.received\"") }.count == 1)
        // The after-action report lists the wave.
        let report = try await commsd(["audit", "report", id])
        #expect(report.stdout.contains("BØLGE"), "\(report.stdout)")
      }
    }

    /// `kill -9` after a wave was planned and before it was sent (the
    /// deputies' receiver is down): after the restart the wave goes once.
    @Test func aWavePlannedBeforeAKillNineGoesOnceAfterTheRestart() async throws {
      try await withWorkspace { workspace in
        let clock = try FakeClock(workspace)
        let fake = clock.environment
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        let hookPort = try freePort()
        var people = ""
        for number in 1...3 {
          people +=
            recipient(
              "l\(number)", "Leder \(number)", audiences: ["staff"],
              contacts: ["l\(number)@kommune.test"])
            + "attributes = { deputy = \"d\(number)\" }\n\n"
          people += recipient(
            "d\(number)", "Stedfortræder \(number)", audiences: ["police"],
            contacts: ["hook:d\(number)"])
        }
        try workspace.writeConfig(smtpPort: smtp.port, httpPort: hookPort, recipients: people)
        var daemon = try workspace.startDaemon(environment: fake)
        let sent = try await workspace.commsd(
          [
            "send", "--audience", "staff", "--priority", "urgent", "--subject", "Besøgsforbud",
            "--body", "Fra kl. 12.", "--confirm", "--escalate-after", "15m", "--escalate-to",
            "@deputy",
          ], environment: fake)
        let id = try #require(
          sent.stdout.split(separator: "\n").first.map(String.init), "\(sent.stderr)")
        try await eventually(timeout: .seconds(30), "three emails") { smtp.emails.count == 3 }

        try clock.set(minutes: 15)
        var status = try await workspace.status(id)
        try await eventually(timeout: .seconds(30), "the wave planned") {
          status = try await workspace.status(id)
          return status.confirmation?.waves.count == 1
        }
        daemon.kill9()
        let wave = status.deliveries.filter { $0.wave == 2 }
        #expect(
          wave.count == 3 && wave.allSatisfy { $0.state != "delivered" }, "\(wave.map(\.state))")

        let deputies = workspace.adopt(
          try await Receiver.http(directory: workspace.directory, name: "deputies", port: hookPort))
        daemon = try workspace.startDaemon(name: "daemon-2", environment: fake)
        try await eventually(timeout: .seconds(60), "the wave delivered") {
          try await workspace.status(id).deliveries.filter { $0.wave == 2 }
            .allSatisfy { $0.state == "delivered" }
        }
        let arrived = deputies.webhooks
        #expect(arrived.count == 3, "\(arrived.map(\.webhookID))")
        #expect(Set(arrived.map(\.webhookID)) == Set(wave.map(\.id)))
        #expect(Set(arrived.compactMap { $0.payload["contact"] as? String }) == ["d1", "d2", "d3"])
        let after = try #require(try await workspace.status(id).confirmation)
        #expect(after.waves.count == 1 && after.waves.first?.sent == 3)
        let audit = try await workspace.commsd(
          ["audit", "export", "--since", "2h"], environment: fake)
        #expect(
          audit.stdout.split(separator: "\n").filter { $0.contains("\"confirmation.wave\"") }.count
            == 1)
      }
    }
  }
}
