import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// Real channels (issue 18): one message to staff reaches an email contact
  /// with the full text, a GatewayAPI contact with the SMS text (through a
  /// 503 and a retry that carries the same delivery id in `userref`), a
  /// Twilio-style gateway, a Teams channel with an Adaptive Card and a Slack
  /// channel; `status` shows each. (The exact documented requests are held
  /// by ProviderFormatTests.)
  @Suite struct Channels {
    @Test func oneMessageReachesEmailSMSGatewaysTeamsAndSlackEachInItsOwnForm() async throws {
      try await withWorkspace { workspace in
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        let gateway = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, name: "gatewayapi",
            arguments: [
              "--status", "200", "--answer-body", #"{"ids": [421332671], "usage": {}}"#,
              "--fail-first", "1", "--fail-status", "503",
            ]))
        let teams = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, name: "teams", arguments: ["--status", "202"]))
        let twilio = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, name: "twilio",
            arguments: ["--status", "201", "--answer-body", #"{"sid": "SM1", "status": "queued"}"#])
        )
        let slack = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, name: "slack",
            arguments: ["--status", "200", "--answer-body", "ok"]))
        try "tw-auth-t0ken\n".write(
          to: URL(fileURLWithPath: workspace.directory).appendingPathComponent("twilio.token"),
          atomically: true, encoding: .utf8)
        let directory = URL(fileURLWithPath: workspace.directory)
        try
          "http://127.0.0.1:\(teams.port)/workflows/w1/triggers/manual/paths/invoke?api-version=2016-06-01&sig=S1G\n"
          .write(
            to: directory.appendingPathComponent("teams.url"), atomically: true, encoding: .utf8)
        let endpoints =
          try Self.gatewayEndpoint(workspace, port: gateway.port) + """

            [endpoints.teams]
            format = "teams-workflows"
            url_file = "teams.url"
            timeout = "5s"

            [endpoints.twilio]
            format = "twilio"
            url = "http://127.0.0.1:\(twilio.port)/2010-04-01/Accounts/AC0123/Messages.json"
            basic_user = "AC0123"
            password_file = "twilio.token"
            from = "Kommunen"

            [endpoints.slack]
            format = "slack"
            url = "http://127.0.0.1:\(slack.port)/services/T0/B0/X0"
            """
        let recipients = [
          recipient(
            "staff-1", "Mette Hansen", audiences: ["staff"], contacts: ["mette@kommune.test"]),
          recipient(
            "staff-2", "Søren Østergaard", audiences: ["staff"], contacts: ["gw:20 00 00 02"]),
          recipient(
            "staff-teams", "Teams: Personale", audiences: ["staff"], contacts: ["teams:personale"]),
          recipient(
            "staff-4", "Aisha Rahimi", audiences: ["staff"], contacts: ["twilio:+46 70 123 45 67"]),
          recipient(
            "staff-slack", "Slack: #beredskab", audiences: ["staff"], contacts: ["slack:beredskab"]),
        ].joined()
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: nil, recipients: endpoints + "\n" + recipients)
        _ = try workspace.startDaemon()

        let subject = "Vandforsyning afbrudt på Solgården"
        let body =
          "Kog vandet før brug, indtil videre.\nDet gælder også kaffe.\n\nVi ved endnu ikke, hvornår vandet er tilbage. Ny besked kl. 16."
        let id = try await workspace.send([
          "--audience", "staff", "--priority", "urgent", "--subject", subject, "--body", body,
        ])
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["delivered": 5])
        let byContact = Dictionary(
          uniqueKeysWithValues: status.deliveries.map { ($0.contact, $0) })
        #expect(
          Set(byContact.keys) == [
            "mette@kommune.test", "gw:+4520000002", "teams:personale", "twilio:+46701234567",
            "slack:beredskab",
          ])
        #expect(byContact["gw:+4520000002"]?.attempts == 2)
        #expect(byContact["gw:+4520000002"]?.lastStatus == 200)
        #expect(byContact["teams:personale"]?.lastStatus == 202)
        // `status` names each delivery's channel by what it went out as.
        let table = try await workspace.commsd(["status", id])
        #expect(table.status == 0, "\(table.stderr)")
        for (contact, channel) in [
          ("mette@kommune.test", "email"), ("gw:+4520000002", "gatewayapi"),
          ("teams:personale", "teams-workflows"), ("twilio:+46701234567", "twilio"),
          ("slack:beredskab", "slack"),
        ] {
          let row = table.stdout.split(separator: "\n").first { $0.contains(contact) } ?? ""
          #expect(row.contains(" \(channel) ") && row.contains("delivered"), "\(table.stdout)")
        }

        // Email: the whole text.
        let mail = try #require(smtp.emails.first)
        #expect(mail.subject == "[Personale #1] \(subject)")
        #expect(mail.body?.contains("Vi ved endnu ikke, hvornår vandet er tilbage.") == true)

        // GatewayAPI: the SMS text, twice (503, then 200), the same userref.
        let sms = gateway.webhooks
        #expect(sms.map(\.status) == [503, 200])
        let delivery = try #require(byContact["gw:+4520000002"]?.id)
        for request in sms {
          #expect(request.path == "/rest/mtsms")
          #expect(request.headers["authorization"] == "Token gw-t0ken")
          let json = try #require(
            try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
          #expect(json["userref"] as? String == delivery)
          #expect(json["sender"] as? String == "Kommunen")
          #expect(
            json["message"] as? String
              == "[Personale #1] \(subject)\nKog vandet før brug, indtil videre. Det gælder også kaffe."
          )
          let recipients = try #require(json["recipients"] as? [[String: Any]])
          #expect((recipients.first?["msisdn"] as? NSNumber)?.int64Value == 4_520_000_002)
        }
        #expect(sms.first?.body == sms.last?.body)

        // Teams: one card with the subject as its heading.
        let cards = teams.webhooks
        #expect(cards.count == 1)
        let card = try #require(cards.first)
        #expect(card.path.hasPrefix("/workflows/w1/triggers/manual/paths/invoke?"))
        let envelope = try #require(
          try JSONSerialization.jsonObject(with: Data(card.body.utf8)) as? [String: Any])
        #expect(envelope["type"] as? String == "message")
        let attachment = try #require((envelope["attachments"] as? [[String: Any]])?.first)
        let content = try #require(attachment["content"] as? [String: Any])
        let blocks = try #require(content["body"] as? [[String: Any]])
        #expect(blocks.first?["text"] as? String == subject)
        #expect(
          (blocks.dropFirst().first?["text"] as? String)?.contains("Ny besked kl. 16.") == true)
        #expect(blocks.last?["text"] as? String == "Personale #1 · Varsel")

        // Twilio: the form-encoded call with basic authentication.
        let form = try #require(twilio.webhooks.first)
        #expect(form.path == "/2010-04-01/Accounts/AC0123/Messages.json")
        #expect(
          form.headers["authorization"]
            == "Basic " + Data("AC0123:tw-auth-t0ken".utf8).base64EncodedString())
        #expect(form.body.hasPrefix("To=%2B46701234567&From=Kommunen&Body=%5BPersonale+%231%5D+"))

        // Slack: text and blocks.
        let post = try #require(slack.webhooks.first)
        let message = try #require(
          try JSONSerialization.jsonObject(with: Data(post.body.utf8)) as? [String: Any])
        #expect((message["text"] as? String)?.hasPrefix(subject + "\n\n") == true)
        #expect((message["blocks"] as? [[String: Any]])?.first?["type"] as? String == "header")
      }
    }

    @Test func aWrittenSMSTextLongerThanTheEndpointAllowsIsRefusedAtIntake() async throws {
      try await withWorkspace { workspace in
        let endpoints = try Self.gatewayEndpoint(
          workspace, port: 9, extra: "max_sms_segments = 1")
        try workspace.writeConfig(
          smtpPort: nil, httpPort: nil,
          recipients: endpoints + "\n"
            + recipient("staff-2", "Søren", audiences: ["staff"], contacts: ["gw:+4520000002"]))
        let result = try await workspace.commsd([
          "send", "--audience", "staff", "--subject", "Vand", "--body", "Kog vandet.",
          "--sms-body", String(repeating: "Kog vandet. ", count: 14),
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("sms_body"), "\(result.stderr)")
        #expect(result.stderr.contains("2 SMS (GSM-7, 167 septets)"), "\(result.stderr)")
        #expect(result.stderr.contains("at most 1"), "\(result.stderr)")
      }
    }

    /// A shortened or `sms_format` text that must be cut to fit is sent cut
    /// (at a word, with " ..."), and the sender hears so at once: on the
    /// CLI's standard error and in the API's 202. The audience's
    /// `sms_format` makes the text; a translation makes an English reader's.
    @Test func anSMSTextCutToFitIsAWarningAtIntakeOverTheCLIAndHTTP() async throws {
      try await withWorkspace { workspace in
        let gateway = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, name: "gatewayapi", arguments: ["--status", "200"]))
        let port = try freePort()
        let care = TestToken(name: "care", audiences: ["staff"])
        let audiences = """
          [audiences.staff]
          display_name = "Personale"
          dosing.quiet_hours = "none"
          sms_format = "{{audience}}: {{subject}}. {{first_paragraph}}"
          [audiences.staff.translations.en]
          display_name = "Staff"
          sms_format = "{{audience}}: {{subject}}. Call 7012 3456"
          """
        let recipients = [
          recipient("s1", "Søren", audiences: ["staff"], contacts: ["gw:+4520000002"]),
          recipient(
            "s2", "Sam", audiences: ["staff"], contacts: ["gw:+4520000003"], language: "en"),
        ].joined()
        try workspace.writeConfig(
          smtpPort: nil, httpPort: nil,
          recipients: try Self.gatewayEndpoint(
            workspace, port: gateway.port, extra: "max_sms_segments = 1") + "\n" + recipients,
          extra: Workspace.apiSection(port: port, tokens: [care]), audiences: audiences)
        let client = APIClient(base: "http://127.0.0.1:\(port)")
        _ = try await workspace.startDaemonWithAPI(client)
        let long = String(repeating: "Kog vandet før brug hele dagen. ", count: 10)

        let cli = try await workspace.commsd([
          "send", "--audience", "staff", "--subject", "Vand afbrudt", "--body", long,
          "--body-in", "en=Boil the water.", "--subject-in", "en=Water cut",
        ])
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(
          cli.stderr.contains(
            "commsd send: warning: staff (da) via gw (gatewayapi): the SMS text is cut at a word to fit 1 SMS"
          ), "\(cli.stderr)")
        #expect(!cli.stderr.contains("(en)"), "the English sms_format fits: \(cli.stderr)")
        let id = String(cli.stdout.split(separator: "\n").first ?? "")
        try await workspace.waitUntilFinal(id)
        let texts = gateway.webhooks.compactMap { hook in
          (try? JSONSerialization.jsonObject(with: Data(hook.body.utf8)) as? [String: Any])?[
            "message"] as? String
        }
        let danish = try #require(texts.first { $0.hasPrefix("Personale: Vand afbrudt. Kog") })
        #expect(danish.hasSuffix(" ...") && SMSSegments(danish).count == 1, "\(danish)")
        #expect(texts.contains("Staff: Water cut. Call 7012 3456"), "\(texts)")

        let body = try JSONSerialization.data(withJSONObject: [
          "audiences": ["staff"], "subject": "Vand afbrudt", "body": long,
        ])
        let answer = try await client.call(
          "POST", "/v1/messages", token: care.token,
          json: String(decoding: body, as: UTF8.self))
        #expect(answer.status == 202, "\(answer.text)")
        let warnings = answer.json["warnings"] as? [String] ?? []
        // Without English words the English reader gets the Danish text too: one warning.
        #expect(warnings.count == 1, "\(answer.text)")
        #expect(warnings.allSatisfy { $0.contains("cut at a word to fit 1 SMS") }, "\(warnings)")
        let fitting = try await client.call(
          "POST", "/v1/messages", token: care.token,
          json: #"{"audiences":["staff"],"subject":"Vand","body":"Kog vandet."}"#)
        #expect(fitting.status == 202 && fitting.json["warnings"] == nil, "\(fitting.text)")
      }
    }

    /// A GatewayAPI endpoint and its token file in `workspace`, to `port`.
    static func gatewayEndpoint(_ workspace: Workspace, port: Int, extra: String = "") throws
      -> String
    {
      try "gw-t0ken\n".write(
        to: URL(fileURLWithPath: workspace.directory).appendingPathComponent("gatewayapi.token"),
        atomically: true, encoding: .utf8)
      return """
        [endpoints.gw]
        format = "gatewayapi"
        url = "http://127.0.0.1:\(port)/rest/mtsms"
        token_file = "gatewayapi.token"
        sender = "Kommunen"
        timeout = "5s"
        \(extra)
        """
    }

    @Test func aDryRunShowsEachReaderAndQueuesNothing() async throws {
      try await withWorkspace { workspace in
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        let gateway = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, name: "gatewayapi", arguments: ["--status", "200"]))
        let recipients = [
          recipient("s1", "Mette", audiences: ["staff"], contacts: ["mette@kommune.test"]),
          recipient("s2", "Søren", audiences: ["staff"], contacts: ["gw:+4520000002"]),
        ].joined()
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: nil,
          recipients: try Self.gatewayEndpoint(workspace, port: gateway.port) + "\n" + recipients)
        _ = try workspace.startDaemon()
        let arguments = [
          "send", "--audience", "staff", "--subject", "Vand afbrudt", "--body",
          "Kog vandet før brug.\n\nMere kl. 16.", "--sms-body", "Kog vandet før brug. Mere kl. 16.",
        ]
        let preview = try await workspace.commsd(arguments + ["--dry-run", "--json"])
        #expect(preview.status == 0, "\(preview.stderr)")
        let report = try JSONDecoder().decode(DryRunReport.self, from: Data(preview.stdout.utf8))
        #expect(report.recipients == 2)
        let sms = try #require(report.groups.first { $0.channel == "gw (gatewayapi)" })
        #expect(sms.text == "Kog vandet før brug. Mere kl. 16.")
        #expect(sms.sms?.segments == 1 && sms.sms?.encoding == "GSM-7")
        #expect(sms.sms?.source == "written")
        let email = try #require(report.groups.first { $0.channel == "email" })
        #expect(email.subject == "[Personale #1] Vand afbrudt")
        let human = try await workspace.commsd(arguments + ["--dry-run"])
        #expect(human.stdout.hasPrefix("Dry run: nothing was queued. 2 reader(s)."))
        // Nothing was queued: nobody got anything, and the real send that
        // follows takes bulletin #1, which the dry run only showed.
        try await Task.sleep(for: .milliseconds(500))
        #expect(gateway.count == 0 && smtp.count == 0)
        let id = try await workspace.send(Array(arguments.dropFirst()))
        try await workspace.waitUntilFinal(id)
        #expect(smtp.emails.first?.subject == "[Personale #1] Vand afbrudt")
        #expect(gateway.webhooks.first?.body.contains("Kog vandet før brug. Mere kl. 16.") == true)
      }
    }

    @Test func endpointsTestSendsOneRealRequestShowsTheAnswerAndAuditsIt() async throws {
      try await withWorkspace { workspace in
        let gateway = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, name: "gatewayapi",
            arguments: ["--status", "200", "--answer-body", #"{"ids": [1]}"#]))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: nil,
          recipients: try Self.gatewayEndpoint(workspace, port: gateway.port) + "\n"
            + recipient("s2", "Søren", audiences: ["staff"], contacts: ["gw:+4520000002"]))
        let tested = try await workspace.commsd([
          "endpoints", "test", "gw", "--contact", "+45 20 00 00 09",
        ])
        #expect(tested.status == 0, "\(tested.stderr)")
        #expect(tested.stdout.contains("Authorization: (hidden)"), "\(tested.stdout)")
        #expect(!tested.stdout.contains("gw-t0ken"))
        #expect(tested.stdout.contains("Answer: HTTP 200 — taken"), "\(tested.stdout)")
        let received = gateway.webhooks
        #expect(received.count == 1)
        #expect(received.first?.headers["authorization"] == "Token gw-t0ken")
        #expect(received.first?.body.contains("[TEST]") == true)
        #expect(received.first?.body.contains("4520000009") == true)
        let audit = try await workspace.commsd(["audit", "export", "--since", "1h"])
        #expect(audit.stdout.contains("\"endpoint.tested\""), "\(audit.stdout)")

        let refused = try await workspace.commsd([
          "endpoints", "test", "gw", "--contact", "ring mig",
        ])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("--contact: a phone number"), "\(refused.stderr)")
        #expect(gateway.webhooks.count == 1)
      }
    }
  }
}
