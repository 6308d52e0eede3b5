import CommsCore
import Foundation
import Testing

extension EndToEnd {
  @Suite struct Audiences {
    static let audiences = """
      [audiences.staff]
      display_name = "Personale"
      footer = "Vagtplan: intranettet."
      dosing.quiet_hours = "none"
      [audiences.staff.translations.en]
      display_name = "Staff"
      footer = "Rota: the intranet."

      [audiences.relatives]
      display_name = "Pårørende"
      reply_to = "Pårørendetelefonen <paaroerende@kommune.test>"
      footer = "Spørgsmål: ring 7012 3456."
      signature = "Krisestaben"
      dosing.quiet_hours = "none"
      [audiences.relatives.translations.en]
      display_name = "Relatives"
      footer = "Questions: call +45 7012 3456."
      [audiences.relatives.translations.ar]
      display_name = "الأقارب"
      footer = "للأسئلة: اتصل على 7012 3456."

      [audiences.council]
      dosing.quiet_hours = "none"
      [audiences.police]
      dosing.quiet_hours = "none"
      """

    /// One message in Danish, English and Arabic to staff and relatives:
    /// each person gets their language, their audience's footer, Reply-To and
    /// bulletin number; a person in both audiences gets one copy.
    @Test func eachPersonGetsTheirLanguageFooterReplyToAndBulletin() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: http.port,
          recipients: [
            recipient(
              "s-da", "Mette Hansen", audiences: ["staff"], contacts: ["mette@kommune.test"]),
            recipient(
              "s-en", "John Smith", audiences: ["staff"], contacts: ["john@kommune.test"],
              language: "en"),
            recipient(
              "both", "Aisha Rahimi", audiences: ["staff", "relatives"],
              contacts: ["aisha@kommune.test"],
              language: "en"),
            recipient(
              "r-da", "Jens Pedersen", audiences: ["relatives"], contacts: ["jens@example.test"]),
            recipient(
              "r-ar", "Fatima Al-Sayed", audiences: ["relatives"], contacts: ["sms:+4520000012"],
              language: "ar"),
            recipient(
              "r-pl", "Anna Kowalski", audiences: ["relatives"], contacts: ["anna@example.test"],
              language: "pl"),
          ].joined(), audiences: Self.audiences)
        _ = try workspace.startDaemon()
        // A first message to staff takes bulletin #1 there.
        let first = try await workspace.send([
          "--audience", "staff", "--subject", "Vagtskifte", "--body", "Kl. 14.",
        ])
        try await workspace.waitUntilFinal(first)
        let body = [
          "da": "Besøgsforbud fra i dag.", "en": "No visits from today.",
          "ar": "يمنع الزيارة اعتبارا من اليوم.",
        ]
        let id = try await workspace.send([
          "--audience", "staff,relatives", "--kind", "update", "--subject", "Besøgsforbud",
          "--body", body["da"]!,
          "--subject-in", "en=Visiting ban", "--body-in", "en=\(body["en"]!)",
          "--subject-in", "ar=حظر الزيارة", "--body-in", "ar=\(body["ar"]!)",
        ])
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["delivered": 6])
        #expect(status.bulletins == ["staff": 2, "relatives": 1])

        func email(_ address: String) throws -> EmailRecord {
          try #require(
            smtp.emails.first {
              $0.rcptTos == [address] && $0.subject?.contains("Vagtskifte") == false
            })
        }
        let mette = try email("mette@kommune.test")
        #expect(mette.subject == "[Personale #2] Besøgsforbud")
        #expect(mette.body?.hasPrefix("Opdatering · Personale #2 · ") == true)
        #expect(mette.body?.contains(body["da"]!) == true)
        #expect(mette.body?.contains("Vagtplan: intranettet.") == true)
        #expect(mette.headers["reply-to"] == nil)

        let john = try email("john@kommune.test")
        #expect(john.subject == "[Staff #2] Visiting ban")
        #expect(john.body?.hasPrefix("Update · Staff #2 · ") == true)
        #expect(john.body?.contains("Rota: the intranet.") == true)

        // Aisha is in both audiences: one copy, as staff (named first), in English.
        let aisha = smtp.emails.filter {
          $0.rcptTos == ["aisha@kommune.test"] && $0.subject?.contains("Vagtskifte") == false
        }
        #expect(aisha.count == 1)
        #expect(aisha.first?.subject == "[Staff #2] Visiting ban")

        let jens = try email("jens@example.test")
        #expect(jens.subject == "[Pårørende #1] Besøgsforbud")
        #expect(jens.body?.contains("Spørgsmål: ring 7012 3456.") == true)
        #expect(jens.body?.hasSuffix("-- \nKrisestaben\n") == true)
        #expect(jens.headers["reply-to"] == "Pårørendetelefonen <paaroerende@kommune.test>")

        // Polish is not among the message's languages: the default (Danish).
        let anna = try email("anna@example.test")
        #expect(anna.subject == "[Pårørende #1] Besøgsforbud")
        #expect(anna.body?.contains(body["da"]!) == true)

        let fatima = try #require(http.webhooks.first)
        #expect(http.webhooks.count == 1)
        #expect(fatima.payload["language"] as? String == "ar")
        #expect(fatima.payload["subject"] as? String == "[الأقارب #1] حظر الزيارة")
        #expect((fatima.payload["body"] as? String)?.contains(body["ar"]!) == true)
        #expect(
          (fatima.payload["body"] as? String)?.contains("للأسئلة: اتصل على 7012 3456.") == true)
        #expect(
          fatima.payload["reply_to"] as? String == "Pårørendetelefonen <paaroerende@kommune.test>")
        #expect(fatima.payload["bulletin"] as? Int == 1)
        #expect(fatima.payload["kind"] as? String == "update")
      }
    }

    @Test func whereNarrowsTheAudienceByAttribute() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try """
        id;name;audiences;contacts;unit
        care-1;Jens Pedersen;relatives;sms:+4520000001;solgaarden
        care-2;Karen Holm;relatives;sms:+4520000002;aabo
        care-3;Ole Bæk;relatives;sms:+4520000003;Solgaarden
        """.write(toFile: workspace.directory + "/relatives.csv", atomically: true, encoding: .utf8)
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port, recipients: "",
          extra: "recipient_lists = [\"relatives.csv\"]")
        let listed = try await workspace.commsd([
          "recipients", "list", "--audience", "relatives", "--where", "unit=solgaarden", "--json",
        ])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(
          listed.stdout.contains("care-1") && listed.stdout.contains("care-3")
            && !listed.stdout.contains("care-2"))
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "relatives", "--where", "unit=solgaarden", "--subject", "Solgården",
          "--body", "Besøg aflyst.",
        ])
        let status = try await workspace.waitUntilFinal(id)
        #expect(Set(status.deliveries.map(\.recipient)) == ["care-1", "care-3"])
        #expect(
          Set(http.webhooks.map { $0.payload["contact"] as? String ?? "" }) == [
            "+4520000001", "+4520000003",
          ])

        let unknown = try await workspace.commsd([
          "send", "--audience", "relatives", "--where", "unti=solgaarden", "--subject", "x",
          "--body", "y",
        ])
        #expect(unknown.status == 65)
        #expect(unknown.stderr.contains("where: unknown attribute \"unti\" (known: unit)"))
        let nobody = try await workspace.commsd([
          "send", "--audience", "relatives", "--where", "unit=nowhere", "--subject", "x", "--body",
          "y",
        ])
        #expect(nobody.status == 65)
        #expect(nobody.stderr.contains("no recipient in relatives matches"))
      }
    }

    /// The SMTP server refuses one address with 550: that person gets the
    /// message through their SMS contact instead; someone with no other
    /// contact is shown as unreachable.
    @Test func refusedEmailFallsBackToTheNextContact() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let smtp = workspace.adopt(
          try await Receiver.smtp(
            directory: workspace.directory,
            arguments: ["--reject", "gone@kommune.test", "--reject", "lost@kommune.test"]))
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: http.port,
          recipients: [
            recipient(
              "r-1", "Jens Pedersen", audiences: ["relatives"],
              contacts: ["gone@kommune.test", "sms:+4520000001"]),
            recipient(
              "r-2", "Lone Lund", audiences: ["relatives"], contacts: ["lost@kommune.test"]),
            recipient(
              "r-3", "Karen Holm", audiences: ["relatives"], contacts: ["karen@kommune.test"]),
          ].joined())
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "relatives", "--subject", "Besøg", "--body", "Aflyst.",
        ])
        let status = try await workspace.waitUntilFinal(id)
        let jens = status.deliveries.filter { $0.recipient == "r-1" }
        #expect(jens.map(\.state) == ["dead", "delivered"])
        #expect(jens.map(\.channel) == ["email", "webhook"])
        #expect(jens.first?.lastStatus == 550)
        #expect(jens.allSatisfy { $0.bulletin == 1 })
        #expect(http.webhooks.map { $0.payload["contact"] as? String } == ["+4520000001"])
        #expect(smtp.emails.flatMap(\.rcptTos) == ["karen@kommune.test"])
        #expect(status.recipients.reached == 2)
        #expect(status.recipients.unreachable == ["r-2"])
        let table = try await workspace.commsd(["status", id])
        #expect(table.stdout.contains("UNREACHABLE on every contact: r-2"))
      }
    }

    @Test func brokenListRowsAreEachNamedWithFileAndLine() async throws {
      try await withWorkspace { workspace in
        let list = workspace.directory + "/staff.csv"
        try """
        id,name,audiences,contacts,language
        hr-1,Mette Hansen,staff,mette@kommune.test,da
        hr-2,Bad Mail,staff,not-an-address,da
        hr-3,Bad Phone,staff,sms:12,da
        hr-4,Wrong Audience,firemen,ok@kommune.test,da
        hr-5,Unknown Endpoint,staff,teams:channel-1,da
        hr-1,Duplicate,staff,dup@kommune.test,da
        """.write(toFile: list, atomically: true, encoding: .utf8)
        try workspace.writeConfig(
          smtpPort: 2525, httpPort: 9, recipients: "", extra: "recipient_lists = [\"staff.csv\"]")
        for command in [["recipients", "check"], ["config", "check"]] {
          let result = try await workspace.commsd(command)
          #expect(result.status == 78, "\(command)")
          for line in 3...7 {
            #expect(
              result.stderr.contains("\(list):\(line): "),
              "\(command) line \(line): \(result.stderr)")
          }
          #expect(!result.stderr.contains("\(list):2: "))
        }
        let good = try await workspace.commsd(["recipients", "check"])
        #expect(good.stderr.contains("firemen"))
      }
    }
  }
}

extension EndToEnd.Audiences {
  /// An HR list edited while the daemon runs is used for the next message
  /// without a restart; an edit that breaks the list is refused (audited)
  /// and the list in use stays.
  @Test func editedListIsUsedWithoutRestartAndABrokenEditIsRefused() async throws {
    try await withWorkspace { workspace in
      let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
      let list = workspace.directory + "/staff.csv"
      let header = "id,name,audiences,contacts\n"
      try (header + "hr-1,Mette Hansen,staff,sms:+4520000001\n").write(
        toFile: list, atomically: true, encoding: .utf8)
      try workspace.writeConfig(
        smtpPort: nil, httpPort: http.port, recipients: "",
        extra: "recipient_lists = [\"staff.csv\"]")
      _ = try workspace.startDaemon()
      let first = try await workspace.send([
        "--audience", "staff", "--subject", "Et", "--body", "1",
      ])
      #expect(try await workspace.waitUntilFinal(first).deliveries.map(\.recipient) == ["hr-1"])

      try (header + "hr-1,Mette Hansen,staff,sms:+4520000001\nhr-2,Søren Ø,staff,sms:+4520000002\n")
        .write(toFile: list, atomically: true, encoding: .utf8)
      let second = try await workspace.send([
        "--audience", "staff", "--subject", "To", "--body", "2",
      ])
      let reloaded = try await workspace.waitUntilFinal(second)
      #expect(Set(reloaded.deliveries.map(\.recipient)) == ["hr-1", "hr-2"])

      // A broken edit: the daemon keeps the last good directory. (The CLI
      // refuses to send on a broken configuration, so the message is accepted
      // through the store directly, as an integration would.)
      try (header + "hr-3,Only Me,staff,not-an-address\n").write(
        toFile: list, atomically: true, encoding: .utf8)
      let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
      let configuration = try ConfigurationLoader.parse(
        """
        data_dir = "var"
        [audiences.staff]
        [[recipients]]
        id = "hr-1"
        name = "Mette Hansen"
        audiences = ["staff"]
        contacts = ["sms:+4520000001"]
        [endpoints.sms]
        url = "http://127.0.0.1:9/sms"
        secret = "\(Workspace.secret)"
        """, file: workspace.configPath)
      guard
        case .accepted(let third) = try await Intake(configuration: configuration, store: store)
          .accept(
            SendRequest(
              audiences: ["staff"], priority: .normal,
              contents: ["da": MessageContent(subject: "Tre", body: "3")],
              sender: Sender(kind: .api, name: "test", origin: "localhost")))
      else { throw TestFailure("not accepted") }
      let kept = try await workspace.waitUntilFinal(third.rawValue)
      #expect(Set(kept.deliveries.map(\.recipient)) == ["hr-1", "hr-2"])
      let events = try await store.auditEvents(kinds: ["config.reloaded", "config.refused"])
      #expect(events.map(\.event.kind) == ["config.reloaded", "config.refused"])
      #expect(events.last?.event.detail["errors"]?.contains("staff.csv:2: contacts") == true)
    }
  }
}
