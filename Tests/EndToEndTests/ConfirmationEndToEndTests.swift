import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// Confirmations through the real binary: `send --confirm`, `commsd
  /// status` answering "who has not confirmed?", `commsd confirm` for one
  /// taken by phone, and the API's `confirm`.
  @Suite struct Confirmations {
    @Test func statusNamesWhoHasNotConfirmedAndAPhoneConfirmationCounts() async throws {
      try await withWorkspace { workspace in
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        let port = try freePort()
        let care = TestToken(name: "care", audiences: ["staff"])
        let leaders = [
          ("a", "Anne", "b"), ("b", "Bo", "c"), ("c", "Cecilie", "a"),
        ].map { id, name, deputy in
          recipient(id, name, audiences: ["staff"], contacts: ["\(id)@kommune.test"])
            + "attributes = { deputy = \"\(deputy)\" }\n\n"
        }.joined()
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: nil, recipients: leaders,
          extra: Workspace.apiSection(port: port, tokens: [care]))
        let client = APIClient(base: "http://127.0.0.1:\(port)")
        _ = try await workspace.startDaemonWithAPI(client)

        // Mistakes are named by their option; nothing is queued.
        let alone = try await workspace.commsd([
          "send", "--audience", "staff", "--subject", "Besøg", "--body", "x",
          "--confirm-within", "30m",
        ])
        #expect(alone.status == 64 && alone.stderr.contains("go with --confirm"), "\(alone.stderr)")
        let boss = try await workspace.commsd([
          "send", "--audience", "staff", "--subject", "Besøg", "--body", "x", "--confirm",
          "--escalate-after", "15m", "--escalate-to", "@boss",
        ])
        #expect(boss.status == 65 && boss.stderr.contains("escalate-to"), "\(boss.stderr)")

        let id = try await workspace.send([
          "--audience", "staff", "--priority", "urgent", "--subject", "Besøgsforbud",
          "--body", "Besøgsforbud fra kl. 12.", "--confirm", "--confirm-within", "30m",
          "--escalate-after", "15m", "--escalate-to", "@deputy",
        ])
        _ = try await workspace.waitUntilFinal(id)
        #expect(smtp.emails.count == 3)
        var text = try await workspace.commsd(["status", id])
        #expect(text.stdout.contains("confirmed 0 of 3 by "), "\(text.stdout)")
        #expect(
          text.stdout.contains("NOT CONFIRMED 3: Anne (a), Bo (b), Cecilie (c)"), "\(text.stdout)")

        // Anne rang back; Bo's by his delivery id; a repeat changes nothing.
        let anne = try await workspace.commsd([
          "confirm", id, "--recipient", "a", "--on-behalf", "phoned 10:42",
        ])
        #expect(anne.status == 0 && anne.stdout.contains(": confirmed"), "\(anne.stderr)")
        let again = try await workspace.commsd([
          "confirm", id, "--recipient", "a", "--on-behalf", "phoned again",
        ])
        #expect(again.status == 0 && again.stdout.contains("had confirmed already"))
        let status = try await workspace.status(id)
        let boDelivery = try #require(status.deliveries.first { $0.recipient == "b" }?.id)
        let bo = try await workspace.commsd([
          "confirm", boDelivery, "--on-behalf", "said so at the meeting", "--at", "1m", "--json",
        ])
        #expect(bo.stdout.contains(#""outcome":"confirmed""#), "\(bo.stdout)\(bo.stderr)")
        let nobody = try await workspace.commsd([
          "confirm", id, "--recipient", "zed", "--on-behalf", "x",
        ])
        #expect(nobody.status == 65 && nobody.stderr.contains("no delivery to \"zed\""))
        let noPerson = try await workspace.commsd(["confirm", id, "--on-behalf", "x"])
        #expect(noPerson.status == 65 && noPerson.stderr.contains("--recipient"))

        text = try await workspace.commsd(["status", id])
        #expect(text.stdout.contains("confirmed 2 of 3 by "), "\(text.stdout)")
        #expect(text.stdout.contains("NOT CONFIRMED 1: Cecilie (c)"), "\(text.stdout)")
        let summary = try #require(try await workspace.status(id).confirmation)
        #expect(summary.confirmed == 2 && summary.byWay == ["operator": 2])
        // The after-action report answers it too: table and CSV.
        let table = try await workspace.commsd(["audit", "report", id])
        #expect(table.stdout.contains("IKKE BEKRÆFTET (fristen "), "\(table.stdout)")
        #expect(table.stdout.contains("Cecilie"))
        let csv = try await workspace.commsd(["audit", "report", id, "--format", "csv"])
        let rows = csv.stdout.split(separator: "\n").map {
          $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let figures = Dictionary(
          zip(rows.first ?? [], rows.dropFirst().first ?? []),
          uniquingKeysWith: { first, _ in first })
        #expect(figures["confirmed"] == "2" && figures["confirmed_late"] == "0", "\(csv.stdout)")
        #expect(figures["not_confirmed"] == "1" && figures["not_confirmed_people"] == "c Cecilie")

        // The API: confirm asked for, read back; a bad value named.
        let posted = try await client.call(
          "POST", "/v1/messages", token: care.token,
          json:
            #"{"audiences": ["staff"], "subject": "Vand", "body": "Kog vandet.", "confirm": {"within": "10m"}}"#
        )
        #expect(posted.status == 202, "\(posted.text)")
        let apiID = try #require(posted.json["id"] as? String)
        try await eventually(timeout: .seconds(20), "the API's message planned") {
          try await workspace.status(apiID).confirmation != nil
        }
        let read = try await client.call("GET", "/v1/messages/\(apiID)", token: care.token)
        let confirmation = try #require(read.json["confirmation"] as? [String: Any])
        #expect((confirmation["not_confirmed"] as? [Any])?.count == 3, "\(read.text)")
        for (body, field) in [
          (#"{"within": "soon"}"#, "confirm.within"),
          (#"{"cycles": 1e300}"#, "confirm.cycles"),
          (#"{"escalate_to": "@deputy"}"#, "confirm.escalate_to"),
          (#"{"wihtin": "10m"}"#, "confirm.wihtin"),
        ] {
          let refused = try await client.call(
            "POST", "/v1/messages", token: care.token,
            json: #"{"audiences": ["staff"], "subject": "Vand", "body": "x", "confirm": "#
              + body + "}")
          #expect(refused.status == 422 && refused.field == field, "\(body): \(refused.text)")
        }

        let audit = try await workspace.commsd(["audit", "export", "--since", "1h"])
        #expect(
          audit.stdout.split(separator: "\n").filter { $0.contains("confirmation.received") }.count
            == 2)
        let verify = try await workspace.commsd(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
      }
    }

    /// The link in the email: opening it (as a link scanner would) confirms
    /// nothing; a real browser (Debian's Chromium) shows the message and its
    /// button, and pressing it confirms; a second use, a mangled link and
    /// a withdrawn message's link get a page that says so.
    @Test func aReaderConfirmsByTheLinkInTheEmailAndAScannerConfirmsNothing() async throws {
      try await withWorkspace { workspace in
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        let port = try freePort()
        let readers = [("a", "Anne"), ("b", "Bo"), ("c", "Cecilie")].map { id, name in
          recipient(id, name, audiences: ["staff"], contacts: ["\(id)@kommune.test"])
        }.joined()
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: nil, recipients: readers,
          extra: Workspace.apiSection(port: port, tokens: [])
            + "[confirm]\npublic_url = \"http://127.0.0.1:\(port)\"\n")
        let client = APIClient(base: "http://127.0.0.1:\(port)")
        _ = try await workspace.startDaemonWithAPI(client)
        let id = try await workspace.send([
          "--audience", "staff", "--priority", "urgent", "--subject", "Besøgsforbud",
          "--body", "Besøgsforbud fra kl. 12.", "--confirm",
        ])
        _ = try await workspace.waitUntilFinal(id)
        // Each email carries its own link, under the message.
        var link: [String: String] = [:]
        for email in smtp.emails {
          let body = email.body ?? ""
          let found = body.firstMatch(
            of: /http:\/\/127\.0\.0\.1:\d+\/c\/[0-9A-Z]{26}\.[A-Za-z0-9_-]{22}/)
          #expect(body.contains("Bekræft, at du har læst den: "), "\(body)")
          if let found, let to = email.rcptTos.first { link[to] = String(found.output) }
        }
        #expect(link.count == 3, "\(smtp.emails.map(\.body))")
        let anne = try #require(link["a@kommune.test"])
        let bo = try #require(link["b@kommune.test"])
        let cecilie = try #require(link["c@kommune.test"])

        // A scanner fetches Cecilie's link: a page with a button, nothing confirmed.
        let scanned = try await page("GET", cecilie)
        #expect(scanned.status == 200 && scanned.body.contains("<form method=\"post\">"))
        #expect(try await workspace.status(id).confirmation?.confirmed == 0)

        // Anne opens hers in a browser and presses the button.
        let shots = workspace.directory + "/screenshots"
        let browser = try await runCommand(
          "/usr/bin/env",
          [
            "python3", Paths.repository + "/Tests/Browser/confirm_in_browser.py", "--url", anne,
            "--shots", shots, "--name", "anne",
          ], timeout: .seconds(90))
        #expect(browser.status == 0, "\(browser.stderr)")
        let seen =
          (try? JSONSerialization.jsonObject(with: Data(browser.stdout.utf8))) as? [String: Any]
          ?? [:]
        #expect(seen["subject"] as? String == "Besøgsforbud", "\(browser.stdout)")
        #expect(seen["button"] as? String == "Jeg har læst og forstået")
        #expect(seen["answer"] as? String == "Tak. Din bekræftelse er modtaget.")
        for shot in ["anne-page.png", "anne-answer.png"] {
          let size = (try? FileManager.default.attributesOfItem(atPath: shots + "/" + shot))?[.size]
          #expect(((size as? Int) ?? 0) > 1000, "\(shot) was not taken")
        }

        // Bo presses twice (the second is answered with when); a mangled link is refused.
        #expect(try await page("POST", bo).status == 200)
        let twice = try await page("POST", bo)
        #expect(twice.status == 409 && twice.body.contains("Du har allerede bekræftet"))
        let mangled = String(bo.dropLast()) + (bo.hasSuffix("A") ? "B" : "A")
        let refused = try await page("POST", mangled)
        #expect(refused.status == 401 && refused.body.contains("Linket er ikke gyldigt"))

        var summary = try #require(try await workspace.status(id).confirmation)
        #expect(summary.confirmed == 2 && summary.byWay == ["link": 2])
        #expect(summary.notConfirmed.map(\.name) == ["Cecilie"])

        // Withdrawn: Cecilie's link now says so, and confirms nothing.
        let cancel = try await workspace.commsd(["cancel", id, "--reason", "Sendt ved en fejl"])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        let gone = try await page("POST", cecilie)
        #expect(gone.status == 410 && gone.body.contains("trukket tilbage"))
        summary = try #require(try await workspace.status(id).confirmation)
        #expect(summary.confirmed == 2)
        let audit = try await workspace.commsd(["audit", "export", "--since", "1h"])
        #expect(
          audit.stdout.split(separator: "\n").filter {
            $0.contains("request.refused") && $0.contains("/c/")
          }.count == 1)
        #expect(!audit.stdout.contains(String(bo.suffix(22))), "no token in the audit log")
      }
    }

    /// A page as curl gets it: status and body.
    func page(_ method: String, _ url: String) async throws -> (status: Int, body: String) {
      let result = try await runCommand(
        "/usr/bin/curl", ["-s", "-X", method, "--max-time", "10", "-w", "\n%{http_code}", url])
      let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
      return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }
  }
}
