import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// Issue 23 end to end: ready in a split second. A visiting ban from the
  /// shipped template, rehearsed as an exercise, reaches relatives in
  /// Danish, English and Arabic; a draft made by one operator is sent by
  /// another and the audit names both; a message scheduled at 13:30 for
  /// 14:00 survives a restart at 13:45 and goes at 14:00 (the daemon's
  /// clock moved by COMMSD_TEST_CLOCK_FILE, not waited for), while one
  /// cancelled at 13:50 sends nothing.
  @Suite struct Readiness {
    static let relatives =
      recipient("r-da", "Birthe", audiences: ["relatives"], contacts: ["hook:birthe"])
      + recipient(
        "r-en", "Tom", audiences: ["relatives"], contacts: ["hook:tom"], language: "en")
      + recipient(
        "r-ar", "Layla", audiences: ["relatives"], contacts: ["hook:layla"], language: "ar")

    /// The workspace's configuration with the shipped templates beside it.
    static func prepare(_ workspace: Workspace, httpPort: Int) throws {
      try workspace.writeConfig(smtpPort: nil, httpPort: httpPort, recipients: relatives)
      try FileManager.default.copyItem(
        atPath: Paths.repository + "/config/example/templates",
        toPath: workspace.directory + "/templates")
    }

    @Test func anExerciseFromTheTemplateReachesEachRelativeInTheirLanguage() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try Self.prepare(workspace, httpPort: http.port)
        _ = try workspace.startDaemon()
        let sent = try await workspace.commsd([
          "send", "--mode", "exercise", "--template", "besoegsforbud", "--var", "enhed=Solgården",
          "--var", "fra=26.11 kl. 12",
        ])
        #expect(sent.status == 0, "\(sent.stderr)")
        let id = try #require(sent.stdout.split(separator: "\n").first.map(String.init))
        try await workspace.waitUntilFinal(id)
        let subjects = Dictionary(
          http.webhooks.map {
            ($0.payload["contact"] as? String ?? "", $0.payload["subject"] as? String ?? "")
          }, uniquingKeysWith: { first, _ in first })
        #expect(subjects.count == 3)
        for subject in subjects.values { #expect(subject.contains("[ØVELSE]"), "\(subject)") }
        #expect(subjects["birthe"]?.hasSuffix("Besøgsforbud på Solgården fra 26.11 kl. 12") == true)
        #expect(subjects["tom"]?.hasSuffix("Visiting ban at Solgården from 26.11 kl. 12") == true)
        #expect(
          subjects["layla"]?.hasSuffix("منع الزيارة في Solgården اعتبارا من 26.11 kl. 12") == true,
          "\(subjects)")
        let status = try await workspace.commsd(["status", id])
        #expect(status.stdout.contains("from template besoegsforbud"), "\(status.stdout)")

        // A variable left out: refused, named, nothing queued.
        let missing = try await workspace.commsd([
          "send", "--template", "besoegsforbud", "--var", "enhed=Solgården",
        ])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("vars.fra: missing"), "\(missing.stderr)")
        // The Arabic text without {{fra}}: `template check` names it, and
        // the template is refused until it is fixed.
        let file = workspace.directory + "/templates/besoegsforbud.toml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "في {{enhed}} اعتبارا من {{fra}}", with: "في {{enhed}}")
          .replacingOccurrences(of: "اعتبارا من {{fra}} تُمنع", with: "تُمنع")
          .write(toFile: file, atomically: true, encoding: .utf8)
        let check = try await workspace.commsd(["template", "check"])
        #expect(check.status == 65)
        #expect(check.stderr.contains("besoegsforbud.toml:"), "\(check.stderr)")
        #expect(check.stderr.contains("ar: lacks {{fra}}"), "\(check.stderr)")
        #expect(check.stdout.contains("ok besoegstider"), "\(check.stdout)")
        let refused = try await workspace.commsd([
          "send", "--template", "besoegsforbud", "--var", "enhed=Solgården", "--var", "fra=12",
        ])
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(http.webhooks.count == 3, "nothing more went")
      }
    }

    @Test func aDraftByOneOperatorSentByAnotherNamesBothInTheAudit() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try Self.prepare(workspace, httpPort: http.port)
        _ = try workspace.startDaemon()
        // On this host the kernel keeps no login uid: the person behind
        // sudo is recorded as the claim SUDO_USER makes.
        let made = try await workspace.commsd(
          [
            "draft", "create", "--template", "besoegstider", "--var", "enhed=Solgården",
            "--var", "tider=kl. 10-12", "--var", "fra=1.12",
          ], environment: ["SUDO_USER": "anna"])
        #expect(made.status == 0, "\(made.stderr)")
        let draft = try #require(made.stdout.split(separator: "\n").first.map(String.init))
        #expect(http.webhooks.isEmpty, "a draft sends nothing")
        let edited = try await workspace.commsd(
          ["draft", "edit", draft, "--var", "tider=kl. 10-12 og 15-17"],
          environment: ["SUDO_USER": "anna"])
        #expect(edited.stdout.contains("revision 2"), "\(edited.stderr)")
        let sent = try await workspace.commsd(
          ["draft", "send", draft], environment: ["SUDO_USER": "bo"])
        #expect(sent.status == 0, "\(sent.stderr)")
        let id = try #require(sent.stdout.split(separator: "\n").first.map(String.init))
        let again = try await workspace.commsd(
          ["draft", "send", draft], environment: ["SUDO_USER": "bo"])
        #expect(again.stdout.hasPrefix(id), "a second send finds the first message")
        try await workspace.waitUntilFinal(id)
        #expect(http.webhooks.count == 3)
        #expect(
          http.webhooks.contains {
            ($0.payload["body"] as? String)?.contains("kl. 10-12 og 15-17") == true
          })

        let audit = try await workspace.commsd(["audit", "export", "--since", "1h"])
        #expect(audit.status == 0, "\(audit.stderr)")
        let events = audit.stdout.split(separator: "\n").compactMap {
          try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        func event(_ kind: String) -> [String: Any]? {
          events.first { $0["kind"] as? String == kind }
        }
        let created = try #require(event("draft.created"))
        #expect((created["actor"] as? String)?.contains("anna") == true, "\(created)")
        let closed = try #require(event("draft.sent"))
        #expect((closed["actor"] as? String)?.contains("bo") == true, "\(closed)")
        let detail = closed["detail"] as? [String: String] ?? [:]
        #expect(detail["drafted_by"]?.contains("anna") == true, "\(closed)")
        #expect(detail["message"] == id)
        let accepted = try #require(event("message.accepted"))
        #expect((accepted["actor"] as? String)?.contains("bo") == true, "\(accepted)")
        let shown = try await workspace.commsd(["draft", "show", draft])
        #expect(shown.stdout.contains("SENT"), "\(shown.stdout)")
        #expect(shown.stdout.contains("anna") && shown.stdout.contains(id), "\(shown.stdout)")
      }
    }

    /// The planner waits for the next release, not for its poll: with a
    /// poll interval of a minute, a message scheduled 2 s ahead goes 2 s
    /// later (real time: a timer, which the test clock does not move).
    @Test func aReleaseIsOnTimeWhateverThePollInterval() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port, recipients: Self.relatives, pollInterval: "60s")
        _ = try workspace.startDaemon()
        try await eventually(timeout: .seconds(30), "the intake socket") {
          FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
        }
        let id = try await workspace.send([
          "--audience", "relatives", "--subject", "Om lidt", "--body", "Om lidt.", "--in", "2s",
        ])
        let status = try await workspace.waitUntilFinal(id, timeout: .seconds(30))
        let planned = try #require(status.plannedAt)
        // `--in 2s` counts from the CLI's clock; the daemon stamps
        // acceptance a moment later (under load, more than a millisecond).
        let release = try #require(status.notBefore)
        #expect((1.5...2).contains(release.timeIntervalSince(status.acceptedAt)), "\(release)")
        #expect(planned >= release, "not before its time")
        #expect(planned.timeIntervalSince(release) < 28, "well within the 60 s poll")
        #expect(http.webhooks.count == 3)
      }
    }

    /// Over the API: the care system drafts from a template, the duty
    /// centre corrects it at the revision it saw (a stale edit is 409) and
    /// sends it; the message names its template and draft, the audit both
    /// tokens.
    @Test func aDraftOverTheAPIIsEditedAtItsRevisionAndSentByAnotherToken() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let port = try freePort()
        let care = TestToken(name: "omsorgssystem", audiences: ["relatives"])
        let duty = TestToken(name: "vagtcentral", audiences: ["relatives", "staff"])
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port, recipients: Self.relatives,
          extra: Workspace.apiSection(port: port, tokens: [care, duty]))
        try FileManager.default.copyItem(
          atPath: Paths.repository + "/config/example/templates",
          toPath: workspace.directory + "/templates")
        let client = APIClient(base: "http://127.0.0.1:\(port)")
        _ = try await workspace.startDaemonWithAPI(client)
        let made = try await client.call(
          "POST", "/v1/drafts", token: care.token,
          json:
            #"{"template":"besoegstider","vars":{"enhed":"Solgården","tider":"kl. 10-12","fra":"1.12"}}"#
        )
        #expect(made.status == 201, "\(made.text)")
        let id = try #require(made.json["id"] as? String)
        let missing = try await client.call(
          "POST", "/v1/drafts", token: care.token,
          json: #"{"template":"besoegstider","vars":{"enhed":"Solgården"}}"#)
        #expect(missing.status == 422 && missing.json["field"] as? String == "vars.fra")
        let edit =
          #"{"template":"besoegstider","vars":{"enhed":"Solgården","tider":"kl. 10-12 og 15-17","fra":"1.12"}}"#
        let edited = try await client.call(
          "PUT", "/v1/drafts/\(id)?revision=1", token: duty.token, json: edit)
        #expect(edited.status == 200 && edited.json["revision"] as? Int == 2, "\(edited.text)")
        let stale = try await client.call(
          "PUT", "/v1/drafts/\(id)?revision=1", token: care.token, json: edit)
        #expect(stale.status == 409 && stale.json["field"] as? String == "revision")
        #expect(http.webhooks.isEmpty, "a draft sends nothing")

        let sent = try await client.call("POST", "/v1/drafts/\(id)/send", token: duty.token)
        #expect(sent.status == 202, "\(sent.text)")
        let message = try #require(sent.json["id"] as? String)
        let again = try await client.call("POST", "/v1/drafts/\(id)/send", token: care.token)
        #expect(again.json["id"] as? String == message, "sent once")
        let shown = try await client.call("GET", "/v1/messages/\(message)", token: care.token)
        #expect(shown.json["template"] as? String == "besoegstider")
        #expect(shown.json["draft"] as? String == id)
        try await workspace.waitUntilFinal(message)
        #expect(
          http.webhooks.count == 3
            && http.webhooks.allSatisfy {
              ($0.payload["body"] as? String)?.contains("10-12") == true
            })
        let audit = try await workspace.commsd(["audit", "export", "--since", "1h"])
        let events = audit.stdout.split(separator: "\n").compactMap {
          try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let kinds = events.compactMap { event -> String? in
          guard let kind = event["kind"] as? String, kind.hasPrefix("draft.") else { return nil }
          return "\(kind) \((event["actor"] as? String)?.split(separator: "@").first ?? "")"
        }
        #expect(
          kinds == [
            "draft.created api:omsorgssystem", "draft.edited api:vagtcentral",
            "draft.sent api:vagtcentral",
          ], "\(kinds)")
      }
    }

    @Test func scheduledForTwoItSurvivesARestartAndGoesAtTwoAndACancelledOneNever() async throws {
      try await withWorkspace { workspace in
        // 13:30 on 10 December 2026 in Copenhagen (UTC+1), by the offset file.
        let file = workspace.directory + "/clock.offset"
        let start = try #require(Timestamp.parse("2026-12-10T13:30:00+01:00"))
        let base = start.timeIntervalSinceNow
        func set(_ minutes: Double) throws {
          try String(base + minutes * 60).write(toFile: file, atomically: true, encoding: .utf8)
        }
        try set(0)
        let fake = [TestClockOffset.variable: file]
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try Self.prepare(workspace, httpPort: http.port)
        var daemon = try workspace.startDaemon(environment: fake)
        func commsd(_ arguments: [String]) async throws -> CommandResult {
          try await workspace.commsd(arguments, environment: fake)
        }
        func send(_ subject: String) async throws -> (id: String, stderr: String) {
          let result = try await commsd([
            "send", "--audience", "relatives", "--subject", subject, "--body", "\(subject).",
            "--at", "14:00",
          ])
          #expect(result.status == 0, "\(result.stderr)")
          return (
            try #require(result.stdout.split(separator: "\n").first.map(String.init)),
            result.stderr
          )
        }
        let (kept, said) = try await send("Besøg efter pressemødet")
        #expect(said.contains("scheduled until 2026-12-10 14:00:00"), "\(said)")
        let (cancelled, _) = try await send("Forkert tekst")
        let status = try await commsd(["status", kept])
        #expect(
          status.stdout.contains("HELD: scheduled until 2026-12-10 14:00:00"), "\(status.stdout)")

        // 13:45: the daemon restarts; the schedule is in the store.
        try set(15)
        await daemon.stop()
        daemon = try workspace.startDaemon(name: "daemon-2", environment: fake)
        // 13:50: the second is called off.
        try set(20)
        let cancel = try await commsd(["cancel", cancelled, "--reason", "forkert tekst"])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(http.webhooks.isEmpty, "nothing before 14:00")
        #expect(try await workspace.status(kept).plannedAt == nil)

        // 14:00.
        try set(30)
        let final = try await workspace.waitUntilFinal(kept)
        let two = start.addingTimeInterval(1800)
        #expect(try #require(final.plannedAt) >= two)
        #expect(final.deliveries.count == 3)
        for line in final.deliveries {
          #expect(line.state == "delivered")
          #expect(try #require(line.deliveredAt) >= two, "not before 14:00")
        }
        #expect(final.bulletins["relatives"] == 1)
        let dropped = try await workspace.status(cancelled)
        #expect(dropped.cancelledAt != nil && dropped.deliveries.isEmpty)
        #expect(dropped.bulletins.isEmpty, "a cancelled one took no number")
        #expect(
          !http.webhooks.contains {
            ($0.payload["subject"] as? String)?.contains("Forkert tekst") == true
          })

        // A local time the clocks skip is refused.
        let skipped = try await commsd([
          "send", "--audience", "relatives", "--subject", "x", "--body", "x", "--at",
          "2026-03-29T02:30",
        ])
        #expect(skipped.status == 65)
        #expect(skipped.stderr.contains("does not exist in Europe/Copenhagen"), "\(skipped.stderr)")
      }
    }
  }
}
