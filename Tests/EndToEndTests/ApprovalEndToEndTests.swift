import CommsCore
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension EndToEnd {
  /// Issue 22 end to end: four eyes on citizens and the police. A joint
  /// message waits; the sender's own approval is refused; the police's
  /// duty officer approves through the link in Debian's Chromium and it
  /// goes; staff needs no approval; flash goes at once, flagged; no
  /// decision by the timeout holds it, reminded and audited (the daemon's
  /// clock moved by COMMSD_TEST_CLOCK_FILE, not waited for); a message
  /// superseded while it waits never goes, its successor approved over the
  /// API by a token with the approve right.
  @Suite struct Approval {
    @Test func aJointMessageWaitsForThePoliceAndGoesWhenTheyApproveInTheBrowser() async throws {
      try await withWorkspace { workspace in
        let clock = try ConfirmationWaves.FakeClock(workspace)
        let fake = clock.environment
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        let port = try freePort()
        let token = TestToken(
          name: "politiets-system", audiences: ["police", "citizens"], rights: ["approve"])
        // The crisis leader is this Unix user: an approver, but the sender too.
        let me = OperatorAccount(uid: geteuid()).name
        let people =
          recipient(
            "pol-vagt", "Politiets vagtchef", audiences: ["police"],
            contacts: ["vagtchef@politi.test"])
          + recipient(
            "kst-leder", "Kriseleder", audiences: ["staff"], contacts: ["leder@kommune.test"])
          + "attributes = { operator = \"\(me)\" }\n\n"
          + recipient("s1", "Sofie", audiences: ["staff"], contacts: ["s1@kommune.test"])
          + recipient("b1", "Borger Et", audiences: ["citizens"], contacts: ["b1@borger.test"])
          + recipient("b2", "Borger To", audiences: ["citizens"], contacts: ["b2@borger.test"])
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: nil, recipients: people,
          extra: Workspace.apiSection(port: port, tokens: [token])
            + "[confirm]\npublic_url = \"http://127.0.0.1:\(port)\"\n",
          audiences: Workspace.standardAudiences + """

            [audiences.citizens]
            display_name = "Borgere"
            dosing.quiet_hours = "none"
            [audiences.citizens.approval]
            approvers = ["pol-vagt", "kst-leder"]
            remind_every = "5m"
            timeout = "30m"
            on_timeout = "hold"
            [audiences.police.approval]
            approvers = ["pol-vagt", "kst-leder"]

            """)
        let client = APIClient(base: "http://127.0.0.1:\(port)")
        let daemon = try workspace.startDaemon(environment: fake)
        try await eventually(timeout: .seconds(30), "the API to be ready") {
          (try? await client.call("GET", "/readyz"))?.status == 200
        }
        _ = daemon
        func commsd(_ arguments: [String]) async throws -> CommandResult {
          try await workspace.commsd(arguments, environment: fake)
        }
        func send(_ audience: String, _ subject: String, _ more: [String] = []) async throws
          -> (id: String, stderr: String)
        {
          let result = try await commsd(
            [
              "send", "--audience", audience, "--priority", "urgent", "--subject", subject,
              "--body", "\(subject). Følg politiets anvisninger.",
            ] + more)
          #expect(result.status == 0, "\(result.stderr)")
          let id = try #require(result.stdout.split(separator: "\n").first.map(String.init))
          return (id, result.stderr)
        }
        func mail(to address: String, subject: String) -> [EmailRecord] {
          smtp.emails.filter {
            $0.rcptTos.contains(address) && $0.subject?.contains(subject) == true
          }
        }
        func approvalLink(to address: String, about subject: String) -> String? {
          mail(to: address, subject: "godkendelse: \(subject)").last?.body?.firstMatch(
            of: /http:\/\/127\.0\.0\.1:\d+\/a\/[0-9A-Z]{26}\.[A-Za-z0-9_-]{22}/
          ).map { String($0.output) }
        }

        // A joint message to citizens and the police waits.
        let joint = try await send("citizens,police", "Vejen er spærret")
        #expect(
          joint.stderr.contains("\(joint.id) awaiting approval for citizens, police"),
          "\(joint.stderr)")
        var link: String?
        try await eventually(timeout: .seconds(30), "the approvers' notices") {
          link = approvalLink(to: "vagtchef@politi.test", about: "Vejen er spærret")
          return link != nil
            && approvalLink(to: "leder@kommune.test", about: "Vejen er spærret") != nil
        }
        #expect(mail(to: "b1@borger.test", subject: "Vejen er spærret").isEmpty)
        // The sender is an approver too, but not of their own message.
        let own = try await commsd(["approve", joint.id])
        #expect(own.status == 65, "\(own.stdout)\(own.stderr)")
        #expect(own.stderr.contains("a second person must (not_sender)"), "\(own.stderr)")

        // A link scanner's GET decides nothing; a forged link is 401.
        let leader = try #require(approvalLink(to: "leder@kommune.test", about: "Vejen er spærret"))
        func curl(_ arguments: [String]) async throws -> String {
          try await runCommand(
            "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}"] + arguments
          ).stdout
        }
        #expect(try await curl([leader]) == "200")
        let forged = String(leader.dropLast(2)) + (leader.hasSuffix("AA") ? "BB" : "AA")
        #expect(try await curl([forged]) == "401")
        #expect(
          try await curl(["-X", "POST", "--data", "decision=reject", leader]) == "400",
          "a rejection needs a reason")

        // The police's duty officer approves in the browser.
        let browser = try await runCommand(
          "/usr/bin/env",
          [
            "python3", Paths.repository + "/Tests/Browser/confirm_in_browser.py", "--url",
            try #require(link), "--shots", workspace.directory + "/screenshots", "--name",
            "approve",
          ], timeout: .seconds(90))
        #expect(browser.status == 0, "\(browser.stderr)")
        #expect(browser.stdout.contains("Godkend"), "\(browser.stdout)")
        #expect(browser.stdout.contains("Du har godkendt beskeden"), "\(browser.stdout)")
        try await eventually(timeout: .seconds(30), "the approved message to go out") {
          ["b1@borger.test", "b2@borger.test", "vagtchef@politi.test"].allSatisfy {
            mail(to: $0, subject: "Vejen er spærret").contains {
              $0.subject?.contains("godkendelse") == false
            }
          }
        }
        // Decided: the other approver's link has nothing left to decide.
        #expect(try await curl(["-X", "POST", "--data", "decision=approve", leader]) == "409")
        let shown = try await commsd(["status", joint.id])
        #expect(
          shown.stdout.contains("approval citizens: APPROVED by pol-vagt (link) after"),
          "\(shown.stdout)")
        #expect(shown.stdout.contains("approval police: APPROVED by pol-vagt (link) after"))

        // Staff needs no approval.
        let staff = try await send("staff", "Mødested flyttet")
        #expect(!staff.stderr.contains("awaiting approval"))
        try await eventually(timeout: .seconds(30), "the staff message") {
          !mail(to: "s1@kommune.test", subject: "Mødested flyttet").isEmpty
        }

        // Flash is never held: it goes at once, flagged.
        let flash = try await send("citizens", "Evakuer Nordvej", ["--priority", "flash"])
        #expect(!flash.stderr.contains("awaiting approval"))
        try await eventually(timeout: .seconds(30), "the flash message") {
          !mail(to: "b1@borger.test", subject: "Evakuer Nordvej").isEmpty
        }
        #expect(
          try await commsd(["status", flash.id]).stdout.contains(
            "approval citizens: SENT WITHOUT APPROVAL (flash is never held)"))

        // Nobody decides: reminded after 5 minutes, held after 30.
        let waiting = try await send("citizens", "Ny vejledning")
        try await eventually(timeout: .seconds(30), "the first notice") {
          approvalLink(to: "vagtchef@politi.test", about: "Ny vejledning") != nil
        }
        try clock.set(minutes: 6)
        try await eventually(timeout: .seconds(30), "the reminder") {
          !mail(to: "vagtchef@politi.test", subject: "Påmindelse – til godkendelse: Ny vejledning")
            .isEmpty
        }
        try clock.set(minutes: 31)
        try await eventually(timeout: .seconds(30), "the timeout") {
          try await commsd(["status", waiting.id]).stdout.contains("TIMED OUT, held")
        }
        #expect(mail(to: "b1@borger.test", subject: "Ny vejledning").isEmpty, "held")
        let dashboard = try await commsd(["status"])
        #expect(
          dashboard.stdout.contains(
            "awaiting approval: \(waiting.id) for citizens since"),
          "\(dashboard.stdout)")
        #expect(
          dashboard.stdout.contains(
            "from Politiets vagtchef, Kriseleder; asked 3 times; TIMED OUT, held"),
          "\(dashboard.stdout)")

        // Superseded while waiting: the first never goes; the second is
        // approved over the API by the police's system.
        let first = try await send("citizens", "Version et")
        let second = try await send(
          "citizens", "Version to", ["--supersedes", first.id])
        let late = try await client.call(
          "POST", "/v1/messages/\(first.id)/approve", token: token.token, json: "{}")
        #expect(late.status == 409, "\(late.text)")
        let approved = try await client.call(
          "POST", "/v1/messages/\(second.id)/approve", token: token.token, json: "{}")
        #expect(approved.status == 200, "\(approved.text)")
        #expect(approved.text.contains(#""state":"approved""#), "\(approved.text)")
        try await eventually(timeout: .seconds(30), "the second version") {
          mail(to: "b1@borger.test", subject: "Version to").contains {
            $0.subject?.contains("godkendelse") == false
          }
        }
        #expect(
          !mail(to: "b1@borger.test", subject: "Version et").contains {
            $0.subject?.contains("godkendelse") == false
          })
        #expect(
          try await commsd(["status", first.id]).stdout.contains("approval citizens: WITHDRAWN"))

        // The after-action report counts the decisions and their latency.
        let report = try await commsd(["audit", "report", "--since", "2h"])
        #expect(report.stdout.contains("GODKENDELSE (FIRE ØJNE)"), "\(report.stdout)")
        #expect(
          report.stdout.contains(
            "til godkendelse 5 · godkendt 3 · afvist 0 · trukket tilbage 1 · venter 1 · tidsfrist overskredet 1"
          ), "\(report.stdout)")
        #expect(report.stdout.contains("tid til beslutning median"), "\(report.stdout)")
        #expect(report.stdout.contains("SENDT UDEN GODKENDELSE (flash): 1"), "\(report.stdout)")
        // The police's token may approve, not send or read the audit log.
        let sendByToken = try await client.call(
          "POST", "/v1/messages", token: token.token,
          json: #"{"audiences":["police"],"subject":"x","body":"y"}"#)
        #expect(sendByToken.status == 403, "\(sendByToken.text)")
        #expect(sendByToken.text.contains(#"lacks the right \"send\""#), "\(sendByToken.text)")
        #expect(try await client.call("GET", "/v1/audit", token: token.token).status == 403)

        let verify = try await commsd(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let audit = try await commsd(["audit", "export", "--since", "2h"]).stdout
        for kind in [
          "approval.requested", "approval.asked", "approval.refused", "approval.approved",
          "approval.bypassed", "approval.reminded", "approval.timed_out", "approval.withdrawn",
        ] {
          #expect(audit.contains("\"\(kind)\""), "no \(kind) in the audit log")
        }
        #expect(
          audit.split(separator: "\n").contains {
            $0.contains("\"approval.refused\"") && $0.contains("\"\(me) (cli)\"")
          }, "the refusal is audited under the true identity")
      }
    }
  }
}
