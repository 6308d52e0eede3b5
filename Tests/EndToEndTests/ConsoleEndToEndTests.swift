import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// The web console in a real browser (Debian's Chromium, headless, at a
  /// phone's 390 px): a crisis leader runs an incident from it, and what
  /// they did is found where it matters — with the recipients, and in the
  /// audit log under their name. Then a read-only person finds no way to
  /// change anything, and forged forms are refused.
  @Suite struct Console {
    static let leaderPassword = "lang-og-hemmelig-1"
    static let readerPassword = "kun-at-kigge-med-2"

    @Test(.timeLimit(.minutes(5)))
    func aCrisisLeaderRunsAnIncidentFromAPhoneBrowser() async throws {
      try await withWorkspace { workspace in
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        // The pager gateway refuses its first request for good (410): a dead letter.
        let pager = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, name: "pager",
            arguments: ["--fail-first", "1", "--fail-status", "410", "--fail-first-overall"]))
        let port = try freePort()
        let system = TestToken(name: "beredskab", audiences: ["police"])
        try FileManager.default.createDirectory(
          atPath: workspace.directory + "/templates", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
          atPath: Paths.repository + "/config/example/templates/besoegsforbud.toml",
          toPath: workspace.directory + "/templates/besoegsforbud.toml")
        func unit(_ name: String) -> String { "attributes = { unit = \"\(name)\" }\n\n" }
        let people =
          recipient("s1", "Sofie Holm", audiences: ["staff"], contacts: ["s1@kommune.test"])
          + unit("solgaarden")
          + recipient("s3", "Bo Lund", audiences: ["staff"], contacts: ["s3@kommune.test"])
          + unit("bakkehuset")
          + recipient("pg1", "Pia Berg", audiences: ["staff"], contacts: ["pager:pg1"])
          + unit("bakkehuset")
          + recipient("r1", "Rita Jensen", audiences: ["relatives"], contacts: ["r1@familie.test"])
          + unit("solgaarden")
          + recipient(
            "r2", "Robert Hall", audiences: ["relatives"], contacts: ["hook:r2"], language: "en")
          + unit("solgaarden")
          + recipient("r3", "Rasmus Krog", audiences: ["relatives"], contacts: ["r3@familie.test"])
          + unit("bakkehuset")
          + recipient("p1", "Vagtchefen", audiences: ["police"], contacts: ["p1@politi.test"])
        let console = """
          [console]

          [[operators]]
          user = "leder"
          audiences = ["*"]
          max_priority = "flash"
          rights = ["send", "cancel", "approve", "audit", "inbox"]

          [[operators]]
          user = "laeser"
          audiences = ["*"]
          rights = []

          # The server's administrator (the tests run as root) reads the audit log.
          [[operators]]
          user = "root"
          audiences = ["*"]
          rights = ["audit"]

          [endpoints.pager]
          url = "http://127.0.0.1:\(pager.port)/pager"
          secret = "\(Workspace.secret)"
          timeout = "5s"

          [confirm]
          public_url = "http://127.0.0.1:\(port)"

          """
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: http.port, recipients: people,
          extra: Workspace.apiSection(
            port: port, tokens: [system], more: EndToEnd.API.questionSource) + console,
          audiences: Workspace.standardAudiences + """

            [audiences.police.approval]
            approvers = ["p1"]

            """)
        for (name, display, password) in [
          ("leder", "Lene Leder", Self.leaderPassword),
          ("laeser", "Lars Læser", Self.readerPassword),
        ] {
          let added = try await runCommand(
            "/bin/sh",
            [
              "-c",
              "printf '%s\\n' \"$1\" | \"$2\" user add \"$3\" --name \"$4\" --password-stdin --config \"$5\"",
              "sh", password, Paths.commsd, name, display, workspace.configPath,
            ])
          #expect(added.status == 0, "\(added.stderr)")
        }
        let client = APIClient(base: "http://127.0.0.1:\(port)")
        _ = try await workspace.startDaemonWithAPI(client)

        // Before the leader opens the console: a message for the police
        // waits for approval, and a relative's question has come in.
        let police = try await client.call(
          "POST", "/v1/messages", token: system.token,
          json:
            #"{"audiences":["police"],"priority":"urgent","subject":"Afspærring ved Solgården","body":"Politiet afspærrer indkørslen."}"#
        )
        #expect(police.status == 202, "\(police.text)")
        let question = #"{"recipient":"r1","text":"Må vi stadig ringe til min mor?"}"#
        let asked = try await client.call(
          "POST", "/v1/hooks/borgerservice", body: Data(question.utf8),
          headers: EndToEnd.API.signed(
            question, id: "q_1", timestamp: Int(Date().timeIntervalSince1970)))
        #expect(asked.status == 202, "\(asked.text)")

        let shots =
          ProcessInfo.processInfo.environment["COMMSD_CONSOLE_SHOTS"]
          ?? workspace.directory + "/screenshots"
        let browser = try await runCommand(
          "/usr/bin/env",
          [
            "python3", Paths.repository + "/Tests/Browser/console_in_browser.py",
            "--base", "http://127.0.0.1:\(port)", "--shots", shots,
            "--leader", "leder:\(Self.leaderPassword)", "--reader", "laeser:\(Self.readerPassword)",
            "--template", "besoegsforbud", "--var", "enhed=Solgården", "--var", "fra=i dag kl. 12",
            "--where", "unit=solgaarden", "--blank-where", "unit=bakkehuset",
            "--approve-subject", "Afspærring ved Solgården",
            "--answer", "Ja, I kan altid ringe. Personalet hjælper.",
          ], timeout: .seconds(240))
        let seen =
          (try? JSONSerialization.jsonObject(with: Data(browser.stdout.utf8))) as? [String: Any]
          ?? [:]
        #expect(browser.status == 0, "\(browser.stderr)\n\(browser.stdout)")

        // Composing from the template for one care home: the live count
        // and the previews show its two relatives, in their languages.
        #expect(seen["live_count"] as? Int == 2, "\(seen["live_text"] ?? "")")
        // The count's answer did not move the Send button: a tap meant for
        // a button lands on it even while the count comes in.
        #expect(seen["send_moved_px"] as? Int == 0)
        // A message coming in on the board did not move the card at the
        // top of the screen (the page was scrolled, so it could have).
        #expect(seen["board_post_status"] as? Int == 200)
        #expect((seen["board_scrolled"] as? Int ?? 0) > 0)
        #expect(seen["board_anchor_moved_px"] as? Int == 0)
        let previews = seen["previews"] as? [String] ?? []
        #expect(
          previews.contains { $0.hasPrefix("da ") } && previews.contains { $0.hasPrefix("en ") })
        #expect((seen["sent_notice"] as? String)?.contains("modtaget") == true)
        #expect((seen["board_reach"] as? [String])?.isEmpty == false)

        // What the relatives received: Rita in Danish by email, Robert in
        // English by webhook; nobody at the other home.
        let sent = try #require(seen["sent"] as? String)
        let rita = smtp.emails.filter { $0.rcptTos == ["r1@familie.test"] }
        #expect(
          rita.contains {
            $0.subject?.contains("Besøgsforbud på Solgården fra i dag kl. 12") == true
          },
          "\(rita.map(\.subject))")
        #expect(
          http.webhooks.contains {
            $0.path.hasPrefix("/hook") && $0.body.contains("Visiting ban at Solgården")
          })
        #expect(!smtp.emails.contains { $0.rcptTos.contains("r3@familie.test") })

        // The dead letter, retried from the console, reached the pager.
        let blank = try #require(seen["blank"] as? String)
        let retried = try await workspace.waitUntilFinal(blank)
        #expect(retried.deliveries.first { $0.recipient == "pg1" }?.state == "delivered")
        #expect(pager.webhooks.count == 3)  // refused, retried, the correction
        #expect(smtp.emails.contains { $0.rcptTos == ["s3@kommune.test"] })

        // The correction superseded it, and went to the same people.
        let corrected = try #require(seen["corrected"] as? String)
        #expect(seen["supersede_prefilled"] as? String == "Vagtplan for weekenden")
        #expect(try await workspace.status(blank).supersededBy == corrected)
        _ = try await workspace.waitUntilFinal(corrected)
        #expect(
          smtp.emails.contains {
            $0.rcptTos == ["s3@kommune.test"] && $0.subject?.contains("(rettet)") == true
          })

        // The cancellation's notice reached those who had the message.
        try await eventually(timeout: .seconds(30), "Rita's retraction") {
          smtp.emails.filter { $0.rcptTos == ["r1@familie.test"] }.count >= 2
        }
        #expect(try await workspace.status(sent).cancelReason == "Forbuddet er ophævet")

        // The approved message reached the police; the answer reached Rita.
        let approved = try #require(seen["approved"] as? String)
        _ = try await workspace.waitUntilFinal(approved)
        #expect(
          smtp.emails.contains {
            $0.rcptTos == ["p1@politi.test"] && $0.subject?.contains("Afspærring") == true
          })
        try await eventually(timeout: .seconds(30), "the answer to Rita") {
          smtp.emails.contains {
            $0.rcptTos == ["r1@familie.test"] && $0.body?.contains("I kan altid ringe") == true
          }
        }

        // Bad input is refused by its field, in the CLI's words.
        #expect(
          (seen["bad_where"] as? String)?.contains("expected KEY=VALUE") == true,
          "\(seen["bad_where"] ?? "")")
        #expect((seen["no_audience"] as? String)?.isEmpty == false)
        #expect((seen["drafts"] as? String)?.contains("Udkast: besøgstider") == true)
        #expect((seen["report_heading"] as? String) == "Efterrapport")

        // The strict policy; forged, tokenless and signed-out forms refused.
        let csp = seen["csp"] as? String ?? ""
        #expect(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"))
        #expect(seen["no_csrf_status"] as? Int == 403)
        #expect(seen["wrong_csrf_status"] as? Int == 403)
        #expect(seen["signed_out_status"] as? Int == 401)
        #expect(try await workspace.status(corrected).cancelledAt == nil)

        // The read-only person: no compose, no buttons, and the POSTs refused.
        let nav = seen["reader_nav"] as? [String] ?? []
        #expect(nav.count == 1, "\(nav)")
        #expect((seen["reader_buttons"] as? [String]) == [], "\(seen["reader_buttons"] ?? "")")
        #expect(seen["reader_send_status"] as? Int == 403)
        #expect(seen["reader_cancel_status"] as? Int == 403)

        // Every page fits the phone's width.
        for (page, facts) in seen["pages"] as? [String: [String: Any]] ?? [:] {
          let width = facts["width"] as? Int ?? 9999
          let viewport = facts["viewport"] as? Int ?? 0
          #expect(
            viewport <= 390 && width <= viewport, "\(page) is wider than the phone: \(facts)")
          let size =
            (try? FileManager.default.attributesOfItem(atPath: "\(shots)/console-\(page).png"))?[
              .size]
          #expect(((size as? Int) ?? 0) > 1000, "\(page)'s screenshot was not taken")
        }

        // Each act is in the audit log under the leader's name.
        let export = try await workspace.commsd(["audit", "export", "--since", "1h"])
        #expect(export.status == 0, "\(export.stderr) \(export.stdout.prefix(300))")
        let events = try export.stdout.split(separator: "\n").map {
          try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        func acts(_ kind: String) -> [String] {
          events.filter { $0["kind"] as? String == kind }.compactMap { $0["actor"] as? String }
        }
        let leader = "console:leder@127.0.0.1"
        #expect(acts("account.signed_in").contains("console:leder"))
        #expect(acts("message.accepted").filter { $0 == leader }.count >= 2)
        #expect(acts("delivery.retried").contains(leader))
        #expect(acts("message.cancelled").contains(leader))
        #expect(acts("approval.approved").contains { $0.hasPrefix("leder") })
        #expect(acts("inquiry.answered").contains(leader))
        #expect(acts("draft.created").contains(leader))
        #expect(acts("audit.reported").contains(leader))
        #expect(acts("account.signed_out").contains(leader))
        #expect(acts("request.refused").contains(leader))
        #expect(acts("account.signed_in").contains("console:laeser"))
        #expect(acts("request.refused").contains("console:laeser@127.0.0.1"))
      }
    }
  }
}
