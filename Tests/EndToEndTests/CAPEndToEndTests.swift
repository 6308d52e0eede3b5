import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// CAP 1.2 in and out with the real daemon and receivers: an exercise
  /// alert, its Update and its Cancel fed with `commsd send --cap`, and
  /// `commsd export-cap` checked against the schema.
  @Suite struct CAP {
    static let config = """
      [cap]
      sender = "krisestab@kommune.test"
      sender_name = "Krisestaben"
      [cap.audiences]
      "Beboere og ansatte på Amager" = ["staff"]
      default = ["police"]
      """

    static let recipients = [
      recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"]),
      recipient("s2", "Anna Kowalski", audiences: ["staff"], contacts: ["hook:s2"], language: "en"),
      recipient("p1", "Vagtcentralen", audiences: ["police"], contacts: ["hook:p1"]),
    ].joined()

    static let fixtures = (Paths.repository as NSString).appendingPathComponent(
      "Tests/Fixtures/cap")

    /// The Danish exercise, expiring two hours from now rather than in 2025.
    static func exercise() throws -> String {
      let text = try String(
        contentsOfFile: fixtures + "/danish-exercise.xml", encoding: .utf8)
      let format = DateFormatter()
      format.locale = Locale(identifier: "en_US_POSIX")
      format.timeZone = TimeZone(identifier: "UTC")
      format.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'+00:00'"
      let expires = format.string(from: Date(timeIntervalSinceNow: 7200))
      return text.replacingOccurrences(of: "2025-03-12T13:30:00+01:00", with: expires)
    }

    /// The exercise's Update DK-HBR-2025-0043, which `cancel.xml` also names.
    static func update(of exercise: String) -> String {
      exercise
        .replacingOccurrences(
          of: "DK-HBR-2025-0042</cap:identifier>", with: "DK-HBR-2025-0043</cap:identifier>"
        )
        .replacingOccurrences(
          of: "<cap:sent>2025-03-12T09:30:00", with: "<cap:sent>2025-03-12T09:45:00"
        )
        .replacingOccurrences(
          of: "<cap:msgType>Alert</cap:msgType>", with: "<cap:msgType>Update</cap:msgType>"
        )
        .replacingOccurrences(
          of: "<cap:incidents>",
          with: """
            <cap:references>vagtcentral@beredskab.example.dk,DK-HBR-2025-0042,2025-03-12T09:30:00+01:00</cap:references>
              <cap:incidents>
            """
        )
        .replacingOccurrences(
          of: "ØVELSE: Gå indenfor – røg fra brand på Amager", with: "ØVELSE: Røgen er drevet væk")
    }

    static func hooks(_ receiver: Receiver, of message: String) -> [WebhookRecord] {
      receiver.webhooks.filter { $0.payload["message_id"] as? String == message }
    }

    /// Runs Tests/Support/cap-validate.sh on `files`.
    static func validate(_ files: [String]) async throws -> CommandResult {
      try await runCommand(
        "/bin/bash",
        [(Paths.repository as NSString).appendingPathComponent("Tests/Support/cap-validate.sh")]
          + files, timeout: .seconds(300))
    }

    @Test func alertUpdateAndCancelReachTheMappedAudienceAndExportValidates() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port, recipients: Self.recipients, extra: Self.config)
        _ = try workspace.startDaemon()
        try await eventually(timeout: .seconds(20), "the intake socket") {
          FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
        }
        let exercise = try Self.exercise()
        let alertFile = workspace.directory + "/exercise.xml"
        let updateFile = workspace.directory + "/update.xml"
        try exercise.write(toFile: alertFile, atomically: true, encoding: .utf8)
        try Self.update(of: exercise).write(toFile: updateFile, atomically: true, encoding: .utf8)

        // The alert: to staff (its <audience> is mapped), marked as an exercise.
        let first = try await workspace.send(["--cap", alertFile])
        #expect(try await workspace.waitUntilFinal(first).counts == ["delivered": 2])
        let alerts = Self.hooks(http, of: first)
        #expect(Set(alerts.map { $0.payload["contact"] as? String }) == ["s1", "s2"])
        for hook in alerts {
          #expect((hook.payload["subject"] as? String)?.hasPrefix("[ØVELSE] ") == true)
          #expect(hook.payload["mode"] as? String == "exercise")
          #expect(hook.payload["priority"] as? String == "flash")
        }
        let english = try #require(alerts.first { $0.payload["contact"] as? String == "s2" })
        #expect(english.payload["language"] as? String == "en")
        #expect(
          (english.payload["subject"] as? String)?.hasSuffix(
            "EXERCISE: Stay indoors – smoke from a fire on Amager") == true)
        // Fed again: the same message, not queued twice.
        let again = try await workspace.commsd(["send", "--cap", alertFile])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.hasPrefix(first))
        #expect(again.stderr.contains("accepted earlier"))

        // The Update supersedes it: readers see it as an update of bulletin #1.
        let second = try await workspace.send(["--cap", updateFile])
        let updated = try await workspace.waitUntilFinal(second)
        #expect(updated.counts == ["delivered": 2])
        #expect(updated.supersedes == first)
        let updates = Self.hooks(http, of: second)
        #expect(updates.count == 2)
        for hook in updates {
          #expect(hook.payload["updates_bulletin"] as? Int == 1)
          #expect(hook.payload["supersedes"] as? String == first)
          #expect(hook.payload["kind"] as? String == "update")
        }

        // The export of the update validates and references the alert's export.
        let exported = try await workspace.commsd(["export-cap", second])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("<msgType>Update</msgType>"))
        #expect(exported.stdout.contains("<references>krisestab@kommune.test,\(first),"))
        #expect(exported.stdout.contains("<status>Exercise</status>"))
        let exportFile = workspace.directory + "/export-update.xml"
        try exported.stdout.write(toFile: exportFile, atomically: true, encoding: .utf8)

        // The Cancel (of the alert and its update) withdraws the update and
        // tells both readers.
        let cancelled = try await workspace.commsd([
          "send", "--cap", Self.fixtures + "/cancel.xml",
        ])
        #expect(cancelled.status == 0, "\(cancelled.stderr)")
        #expect(cancelled.stdout.contains("cancelled \(second)"), "\(cancelled.stdout)")
        let status = try await workspace.status(second)
        #expect(status.cancelReason == "Sendt ved en fejl; erstattes ikke.")
        let retraction = try #require(status.retraction)
        try await workspace.waitUntilFinal(retraction)
        let retractions = Self.hooks(http, of: retraction)
        #expect(retractions.count == 2)
        for hook in retractions {
          #expect(hook.payload["kind"] as? String == "retraction")
          #expect(hook.payload["retraction_of"] as? String == second)
          #expect(hook.payload["mode"] as? String == "exercise")
        }
        #expect(http.webhooks.allSatisfy { $0.payload["contact"] as? String != "p1" })

        // The retraction exports as the Cancel, the same as --cancellation.
        let cancelExport = try await workspace.commsd(["export-cap", retraction])
        #expect(cancelExport.status == 0, "\(cancelExport.stderr)")
        #expect(cancelExport.stdout.contains("<msgType>Cancel</msgType>"))
        let byCancellation = try await workspace.commsd(["export-cap", second, "--cancellation"])
        #expect(byCancellation.stdout == cancelExport.stdout)
        let cancelFile = workspace.directory + "/export-cancel.xml"
        try cancelExport.stdout.write(toFile: cancelFile, atomically: true, encoding: .utf8)
        let alertExport = try await workspace.commsd(["export-cap", first])
        let alertExportFile = workspace.directory + "/export-alert.xml"
        try alertExport.stdout.write(toFile: alertExportFile, atomically: true, encoding: .utf8)

        let validation = try await Self.validate([alertExportFile, exportFile, cancelFile])
        #expect(validation.status == 0, "\(validation.stderr)")
      }
    }

    @Test func anInvalidOrDraftAlertIsRefusedNamingTheElementAndNothingIsStored() async throws {
      try await withWorkspace { workspace in
        try workspace.writeConfig(
          smtpPort: nil, httpPort: 9, recipients: Self.recipients, extra: Self.config)
        let exercise = try Self.exercise()
        let bad = workspace.directory + "/bad.xml"
        try exercise.replacingOccurrences(
          of: "<cap:urgency>Immediate</cap:urgency>", with: "<cap:urgency>Soon</cap:urgency>"
        ).write(toFile: bad, atomically: true, encoding: .utf8)
        let result = try await workspace.commsd(["send", "--cap", bad])
        #expect(result.status == 65)
        #expect(
          result.stderr.contains("commsd send: CAP: alert/info[1]/urgency: \"Soon\" is not one of"),
          "\(result.stderr)")
        #expect(result.stdout.isEmpty)

        // A draft, from standard input.
        let draft = workspace.directory + "/draft.xml"
        try exercise.replacingOccurrences(
          of: "<cap:status>Exercise</cap:status>", with: "<cap:status>Draft</cap:status>"
        ).write(toFile: draft, atomically: true, encoding: .utf8)
        let fromStdin = try await runCommand(
          "/bin/sh",
          [
            "-c", "exec \"$0\" send --cap - --config \"$1\" < \"$2\"", Paths.commsd,
            workspace.configPath, draft,
          ])
        #expect(fromStdin.status == 65)
        #expect(fromStdin.stderr.contains("commsd send: CAP: alert/status:"), "\(fromStdin.stderr)")

        // --cap gives everything; a subject beside it is a usage error.
        let mixed = try await workspace.commsd(["send", "--cap", bad, "--subject", "Hej"])
        #expect(mixed.status == 64)
        #expect(mixed.stderr.contains("leave out --subject"), "\(mixed.stderr)")

        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        #expect(try await store.unplannedMessages(limit: 10).isEmpty)
        #expect(try await store.auditEvents(kinds: ["message.accepted"]).isEmpty)
      }
    }
  }
}
