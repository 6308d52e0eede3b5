import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// Supersede, cancel and expiry, with the real daemon and receivers: who
  /// gets what when guidance changes or is withdrawn.
  @Suite struct Withdrawal {
    /// An endpoint that always answers 503 (its deliveries keep retrying),
    /// beside the receiver's working `hook`.
    static func downEndpoint(port: Int) -> String {
      """
      [endpoints.down]
      url = "http://127.0.0.1:\(port)/down"
      secret = "\(Workspace.secret)"
      timeout = "5s"
      """
    }

    static let staff = [
      recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"]),
      recipient("s2", "Søren Østergaard", audiences: ["staff"], contacts: ["hook:s2"]),
    ].joined()

    static func hooks(_ receiver: Receiver, of message: String) -> [WebhookRecord] {
      receiver.webhooks.filter {
        $0.path == "/hook" && $0.payload["message_id"] as? String == message
      }
    }

    @Test func supersedeWhileHeldForQuietHoursSendsOnlyTheNewMessage() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        // Quiet hours around now, whatever the time of day the suite runs.
        let format = DateFormatter()
        format.dateFormat = "HH:mm"
        format.timeZone = TimeZone(identifier: "Europe/Copenhagen")
        let window =
          "\(format.string(from: Date(timeIntervalSinceNow: -3600)))-\(format.string(from: Date(timeIntervalSinceNow: 7200)))"
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: [
            recipient("r1", "Jens Pedersen", audiences: ["relatives"], contacts: ["hook:r1"]),
            recipient("r2", "Fatima Al-Sayed", audiences: ["relatives"], contacts: ["hook:r2"]),
          ].joined(),
          audiences: """
            [audiences.relatives]
            display_name = "Pårørende"
            dosing.quiet_hours = "\(window)"
            """)
        _ = try workspace.startDaemon()
        let old = try await workspace.send([
          "--audience", "relatives", "--subject", "Besøg kl. 14-16", "--body", "Gammel regel.",
        ])
        try await eventually("the old message to be held for quiet hours") {
          let status = try await workspace.status(old)
          return status.counts == ["held": 2]
            && status.deliveries.allSatisfy { $0.holdReason == "quiet hours" }
        }
        let new = try await workspace.send([
          "--audience", "relatives", "--priority", "flash", "--supersedes", old, "--subject",
          "Besøgsforbud", "--body", "Ny regel: ingen besøg.",
        ])
        let status = try await workspace.waitUntilFinal(new)
        #expect(status.counts == ["delivered": 2])
        let before = try await workspace.status(old)
        #expect(before.counts == ["superseded": 2])
        #expect(before.supersededBy == new)
        #expect(status.supersedes == old)
        // Only the new one arrived, and not as an update: nobody had the old one.
        #expect(http.webhooks.count == 2)
        #expect(Self.hooks(http, of: new).count == 2)
        #expect(http.webhooks.allSatisfy { $0.payload["updates_bulletin"] == nil })
        #expect(http.webhooks.allSatisfy { $0.payload["supersedes"] as? String == old })
      }
    }

    @Test func supersedeAfterDeliveryArrivesMarkedAsAnUpdateAlongTheChain() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(smtpPort: nil, httpPort: http.port, recipients: Self.staff)
        _ = try workspace.startDaemon()
        let first = try await workspace.send([
          "--audience", "staff", "--priority", "urgent", "--subject", "Værnemidler",
          "--body", "Brug visir.",
        ])
        try await workspace.waitUntilFinal(first)
        let second = try await workspace.send([
          "--audience", "staff", "--priority", "urgent", "--kind", "update", "--supersedes", first,
          "--subject", "Værnemidler", "--body", "Brug visir og mundbind.",
        ])
        #expect(try await workspace.waitUntilFinal(second).counts == ["delivered": 2])
        let updates = Self.hooks(http, of: second)
        #expect(updates.count == 2)
        for hook in updates {
          #expect(hook.payload["bulletin"] as? Int == 2)
          #expect(hook.payload["updates_bulletin"] as? Int == 1)
          #expect(hook.payload["subject"] as? String == "[Personale #2, opdaterer #1] Værnemidler")
          #expect((hook.payload["body"] as? String)?.contains("· opdaterer #1 ·") == true)
        }
        // What was delivered stays delivered.
        #expect(try await workspace.status(first).counts == ["delivered": 2])

        // A → B → C: C updates B, the bulletin its readers saw last.
        let third = try await workspace.send([
          "--audience", "staff", "--priority", "urgent", "--supersedes", second,
          "--subject", "Værnemidler", "--body", "Visir er nok igen.",
        ])
        try await workspace.waitUntilFinal(third)
        #expect(
          Self.hooks(http, of: third).map { $0.payload["updates_bulletin"] as? Int } == [2, 2])

        // The first is no longer the latest: superseding it again is refused.
        let refused = try await workspace.commsd([
          "send", "--audience", "staff", "--supersedes", first, "--subject", "X", "--body", "Y",
        ])
        #expect(refused.status == 65)
        #expect(
          refused.stderr.contains("supersedes: \(first) was already superseded by \(second)"),
          "\(refused.stderr)")
      }
    }

    @Test func supersedeWhileInFlightRecordsTheDeliveryAndTheUpdateFollows() async throws {
      try await withWorkspace { workspace in
        // Every answer takes 1.5 s: the first message is in flight for that long.
        let http = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, arguments: ["--delay-ms", "1500"]))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"]))
        _ = try workspace.startDaemon()
        let first = try await workspace.send([
          "--audience", "staff", "--priority", "urgent", "--subject", "Vagtplan", "--body", "A",
        ])
        try await eventually("the first message to be in flight") {
          try await workspace.status(first).counts == ["sending": 1]
        }
        let second = try await workspace.send([
          "--audience", "staff", "--priority", "urgent", "--supersedes", first, "--subject",
          "Vagtplan", "--body", "B",
        ])
        try await workspace.waitUntilFinal(second)
        #expect(try await workspace.status(first).counts == ["delivered": 1])
        let old = try #require(Self.hooks(http, of: first).first)
        let new = try #require(Self.hooks(http, of: second).first)
        #expect(new.payload["updates_bulletin"] as? Int == 1)
        #expect(new.receivedAt > old.receivedAt)
        let events = try await SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
          .auditEvents(messageID: MessageID(rawValue: first)).map(\.event)
        let superseded = try #require(events.first { $0.kind == "delivery.superseded" })
        #expect(superseded.detail["count"] == "0")
        #expect(superseded.detail["in_flight"] == "1")
      }
    }

    @Test func cancelledWhileWaitingInTheLaneIsNotSent() async throws {
      try await withWorkspace { workspace in
        // Concurrency 1 and answers that take 3 s: one transfer runs, the
        // next waits in the endpoint's lane in the engine (issue 25).
        let http = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, arguments: ["--delay-ms", "3000"]))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"])
            + recipient("s2", "Jonas Berg", audiences: ["staff"], contacts: ["hook:s2"])
            + recipient("s3", "Aisha Rahimi", audiences: ["staff"], contacts: ["hook:s3"]),
          endpointConcurrency: 1)
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "staff", "--priority", "urgent", "--subject", "Forkert", "--body", "A",
        ])
        try await eventually("the first transfer to reach the receiver") {
          http.webhooks.count >= 1
        }
        let result = try await workspace.commsd(["cancel", id, "--reason", "Forkert modtager"])
        #expect(result.status == 0, "\(result.stderr)")
        let status = try await workspace.waitUntilFinal(id)
        // The running one was delivered; the one waiting in the lane and the
        // one still in the dispatcher's hands were not sent.
        #expect(status.counts == ["delivered": 1, "cancelled": 2])
        #expect(http.webhooks.count == 1)
        let events = try await SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
          .auditEvents(messageID: MessageID(rawValue: id)).map(\.event)
        // One attempt, and the two others ended without one.
        #expect(events.filter { $0.kind == "delivery.delivered" }.count == 1)
        let ended = events.filter { $0.kind == "delivery.cancelled" && $0.deliveryID != nil }
        #expect(
          ended.map { $0.detail["reason"] }
            == Array(repeating: "withdrawn before it was sent", count: 2))
        #expect(!events.contains { $0.detail["error"] != nil })
      }
    }

    @Test func cancelWithNotifyReachesExactlyThoseWhoGotIt() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, arguments: ["--fail-path", "/down=503"]))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: Self.staff
            + recipient("s3", "Aisha Rahimi", audiences: ["staff"], contacts: ["down:s3"]),
          extra: Self.downEndpoint(port: http.port))
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "staff", "--priority", "urgent", "--subject", "Testcenter åbner",
          "--body", "Testcentret åbner i morgen kl. 8.",
        ])
        try await eventually("two delivered, one retrying") {
          let counts = try await workspace.status(id).counts
          return counts["delivered"] == 2 && counts["delivered", default: 0] < 3
            && http.webhooks.contains { $0.path == "/down" }
        }
        let result = try await workspace.commsd([
          "cancel", id, "--reason", "Datoen var forkert", "--notify",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["delivered": 2, "cancelled": 1])
        #expect(status.cancelReason == "Datoen var forkert")
        let retractionID = try #require(status.retraction)
        #expect(result.stdout.contains("retraction \(retractionID) to the 2 who already got it"))
        let retraction = try await workspace.waitUntilFinal(retractionID)
        #expect(retraction.counts == ["delivered": 2])
        let notices = Self.hooks(http, of: retractionID)
        #expect(Set(notices.map { $0.payload["contact"] as? String ?? "" }) == ["s1", "s2"])
        for notice in notices {
          #expect(notice.payload["kind"] as? String == "retraction")
          #expect(notice.payload["retraction_of"] as? String == id)
          #expect(
            (notice.payload["subject"] as? String)?.contains("Tilbagekaldt: Testcenter åbner")
              == true)
          #expect(
            (notice.payload["body"] as? String)?.contains("Begrundelse: Datoen var forkert") == true
          )
        }
        // Cancelling twice is refused and changes nothing.
        let again = try await workspace.commsd(["cancel", id, "--reason", "igen"])
        #expect(again.status == 65)
        #expect(again.stderr.contains("was already cancelled"), "\(again.stderr)")
      }
    }

    @Test func expiryWithdrawsExactlyTheUndelivered() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, arguments: ["--fail-path", "/down=503"]))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: Self.staff
            + recipient("s3", "Aisha Rahimi", audiences: ["staff"], contacts: ["down:s3"]),
          extra: Self.downEndpoint(port: http.port))
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "staff", "--priority", "urgent", "--expires", "2s", "--subject",
          "Vaccination i dag", "--body", "Kun i dag.",
        ])
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["delivered": 2, "expired": 1])
        #expect(status.deliveries.first { $0.recipient == "s3" }?.state == "expired")
        #expect(Self.hooks(http, of: id).count == 2)
        #expect(http.webhooks.contains { $0.path == "/down" })
      }
    }

    @Test func anExerciseIsMarkedToEveryReader() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: http.port,
          recipients: recipient(
            "s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"])
            + recipient("s2", "Lise Holm", audiences: ["staff"], contacts: ["lise@kommune.test"]))
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "staff", "--mode", "exercise", "--subject", "Evakuering", "--body",
          "Øvelse.",
        ])
        try await workspace.waitUntilFinal(id)
        let hook = try #require(http.webhooks.first)
        #expect((hook.payload["subject"] as? String)?.hasPrefix("[ØVELSE] ") == true)
        #expect((hook.payload["body"] as? String)?.hasPrefix("[ØVELSE] ") == true)
        #expect(hook.payload["mode"] as? String == "exercise")
        let email = try #require(smtp.emails.first)
        #expect(email.subject?.hasPrefix("[ØVELSE] ") == true)
        #expect(email.body?.hasPrefix("[ØVELSE] ") == true)
      }
    }
  }
}
