import CommsCore
import Foundation
import Testing

extension EndToEnd {
  @Suite struct Delivery {
    @Test func messageToAllFourAudiencesArrivesOnceAtEveryRecipient() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, arguments: ["--secret", Workspace.secret]))
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        let recipients = [
          recipient(
            "staff-1", "Mette Hansen", audiences: ["staff"], contacts: ["mette@kommune.test"]),
          recipient(
            "staff-2", "Søren Østergaard", audiences: ["staff"], contacts: ["sms:+4520000002"]),
          recipient(
            "staff-3", "Aisha Rahimi", audiences: ["staff", "relatives"], contacts: ["hook:aisha"]),
          recipient(
            "rel-1", "Jens Pedersen", audiences: ["relatives"], contacts: ["jens@example.test"]),
          recipient(
            "rel-2", "Fatima Al-Sayed", audiences: ["relatives"], contacts: ["sms:+4520000012"]),
          recipient(
            "council-1", "Lise Holm", audiences: ["council"], contacts: ["lise@kommune.test"]),
          recipient(
            "council-2", "Peter Friis", audiences: ["council"], contacts: ["sms:+4520000022"]),
          recipient(
            "council-3", "Hanne Bæk", audiences: ["council"], contacts: ["hanne@kommune.test"]),
          recipient(
            "police-1", "Vagtcentralen", audiences: ["police"], contacts: ["hook:vagtcentral"]),
          recipient(
            "police-2", "Lokalpolitiet", audiences: ["police"], contacts: ["lokal@politi.test"]),
          recipient(
            "police-3", "Kommunikation", audiences: ["police"], contacts: ["hook:kommunikation"]),
        ].joined()
        try workspace.writeConfig(smtpPort: smtp.port, httpPort: http.port, recipients: recipients)
        _ = try workspace.startDaemon()

        let subject = "Besøgsforbud på plejehjem — ændrede regler for pårørende"
        let body =
          "Kære alle,\n\nFra i dag er der besøgsforbud på Solgården og Åbo.\nSpørgsmål: ring 7012 3456.\n"
        let id = try await workspace.send([
          "--audience", "staff,relatives,council,police", "--priority", "urgent", "--subject",
          subject, "--body", body,
        ])
        #expect(MessageID.isWellFormed(id))
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["delivered": 11])
        #expect(status.deliveries.count == 11)

        let emails = smtp.emails
        #expect(emails.count == 5)
        #expect(
          Set(emails.flatMap(\.rcptTos)) == [
            "mette@kommune.test", "jens@example.test", "lise@kommune.test", "hanne@kommune.test",
            "lokal@politi.test",
          ])
        // Each reader sees their audience's bulletin in the subject and a
        // header with the kind; the operator's words come through intact.
        let audienceOf = [
          "mette@kommune.test": "Personale", "jens@example.test": "Pårørende",
          "lise@kommune.test": "Kommunalbestyrelsen", "hanne@kommune.test": "Kommunalbestyrelsen",
          "lokal@politi.test": "Politiet",
        ]
        let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
        for email in emails {
          let audience = audienceOf[email.rcptTos.first ?? ""] ?? "?"
          #expect(email.subject == "[\(audience) #1] \(subject)")
          #expect(email.body?.hasPrefix("Varsel · \(audience) #1 · ") == true)
          #expect(email.body?.hasSuffix("\n\n" + text + "\n") == true, "\(email.body ?? "")")
          #expect(email.from == "Krisestaben <krisestab@kommune.test>")
          #expect(email.rcptTos.count == 1)
        }
        let mette = try #require(emails.first { $0.rcptTos == ["mette@kommune.test"] })
        #expect(mette.to == "Mette Hansen <mette@kommune.test>")

        let hooks = http.webhooks
        #expect(hooks.count == 6)
        #expect(
          Set(hooks.map { $0.payload["contact"] as? String ?? "" }) == [
            "+4520000002", "aisha", "+4520000012", "+4520000022", "vagtcentral", "kommunikation",
          ])
        #expect(Set(hooks.map(\.webhookID)).count == 6)
        for hook in hooks {
          #expect(hook.signatureValid == true)
          let audience = hook.payload["audience_name"] as? String ?? "?"
          #expect(hook.payload["subject"] as? String == "[\(audience) #1] \(subject)")
          #expect((hook.payload["body"] as? String)?.hasSuffix("\n\n" + text) == true)
          #expect(hook.payload["bulletin"] as? Int == 1)
          #expect(hook.payload["kind_label"] as? String == "Varsel")
          #expect(hook.payload["message_id"] as? String == id)
          #expect(hook.payload["delivery_id"] as? String == hook.webhookID)
        }
        // Aisha is in staff and relatives: one copy, attributed to staff (named first).
        let aisha = hooks.filter { $0.payload["contact"] as? String == "aisha" }
        #expect(aisha.count == 1)
        #expect(aisha.first?.payload["audience"] as? String == "staff")
        #expect(hooks.filter { $0.path == "/sms" }.count == 3)
      }
    }

    @Test func deliveryStatusIsReadableAsATable() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: recipient(
            "staff-1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:mette"]))
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "staff", "--subject", "Test", "--body", "Hej",
        ])
        try await workspace.waitUntilFinal(id)
        let table = try await workspace.commsd(["status", id])
        #expect(table.status == 0)
        #expect(table.stdout.contains("delivered 1"))
        #expect(table.stdout.contains("Mette Hansen (staff-1)"))
      }
    }
  }
}
