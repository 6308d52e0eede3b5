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

    /// A CAP 1.2 alert from the fire service's sender, written for the API tests.
    static func alert(
      _ identifier: String, msgType: String = "Alert", audience: String? = nil,
      headline: String = "Gå indenfor", references: [String] = []
    ) -> String {
      let sender = "vagtcentral@beredskab.example.dk"
      let sent = "2026-03-12T09:30:00+01:00"
      let info =
        msgType == "Cancel"
        ? ""
        : """
        <info>
          <category>Safety</category>
          <event>Røg fra brand</event>
          <urgency>Immediate</urgency>
          <severity>Severe</severity>
          <certainty>Observed</certainty>
          \(audience.map { "<audience>\($0)</audience>" } ?? "")
          <headline>\(headline)</headline>
          <description>\(headline).</description>
        </info>
        """
      let referenced =
        references.isEmpty
        ? ""
        : "<references>\(references.map { "\(sender),\($0),\(sent)" }.joined(separator: " "))</references>"
      return """
        <?xml version="1.0" encoding="UTF-8"?>
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>\(identifier)</identifier>
          <sender>\(sender)</sender>
          <sent>\(sent)</sent>
          <status>Actual</status>
          <msgType>\(msgType)</msgType>
          <scope>Public</scope>
          <note>Test</note>
          \(referenced)
          \(info)
        </alert>
        """
    }

    /// Issue 16: a token for relatives can neither take a staff or police
    /// alert's identifier first (the real alert would be answered as its
    /// duplicate) nor supersede or cancel such an alert by referring to it;
    /// the real alerts are accepted and delivered, and an Update from their
    /// own feed finds them rather than the look-alike.
    @Test func aTokenCannotPreemptSupersedeOrCancelAnotherAudiencesAlert() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let relatives = TestToken(
          name: "relatives-feed", audiences: ["relatives"], maxPriority: "flash")
        let fire = TestToken(
          name: "beredskab", audiences: ["staff", "police"], maxPriority: "flash")
        let port = try freePort()
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: Self.recipients
            + recipient("r1", "Jens Pedersen", audiences: ["relatives"], contacts: ["hook:r1"]),
          extra: Self.config + "\n\"Pårørende\" = [\"relatives\"]\n\n"
            + Workspace.apiSection(port: port, tokens: [relatives, fire]))
        let client = APIClient(base: "http://127.0.0.1:\(port)")
        _ = try await workspace.startDaemonWithAPI(client)
        func post(_ token: TestToken, _ xml: String) async throws -> APIClient.Answer {
          try await client.call(
            "POST", "/v1/cap", token: token.token, body: Data(xml.utf8),
            headers: ["Content-Type": "application/cap+xml"])
        }

        // The relatives feed takes the identifier of the fire service's next alert.
        let planted = try await post(
          relatives, Self.alert("DK-HBR-0100", audience: "Pårørende", headline: "Falsk"))
        #expect(planted.status == 202, "\(planted.text)")
        let plantedID = try #require(planted.json["id"] as? String)
        // The real alert is its own message, and reaches staff.
        let real = try await post(
          fire, Self.alert("DK-HBR-0100", audience: "Beboere og ansatte på Amager"))
        #expect(real.status == 202, "\(real.text)")
        let realID = try #require(real.json["id"] as? String)
        #expect(realID != plantedID, "the real alert was answered as the planted one's duplicate")
        #expect(try await workspace.waitUntilFinal(realID).counts == ["delivered": 2])
        #expect(
          Set(Self.hooks(http, of: realID).map { $0.payload["contact"] as? String })
            == ["s1", "s2"])
        // Fed again by its own feed: still one message.
        let again = try await post(
          fire, Self.alert("DK-HBR-0100", audience: "Beboere og ansatte på Amager"))
        #expect(again.json["id"] as? String == realID, "\(again.text)")

        // A police alert (no audience: the default), then the relatives feed
        // refers to it: its Update is a message of its own, its Cancel finds nothing.
        let police = try await post(fire, Self.alert("DK-HBR-0101"))
        let policeID = try #require(police.json["id"] as? String, "\(police.text)")
        #expect(try await workspace.waitUntilFinal(policeID).counts == ["delivered": 1])
        let update = try await post(
          relatives,
          Self.alert(
            "DK-HBR-0102", msgType: "Update", audience: "Pårørende", headline: "Alt er godt",
            references: ["DK-HBR-0101"]))
        #expect(update.status == 202, "\(update.text)")
        let updateID = try #require(update.json["id"] as? String)
        #expect(try await workspace.status(updateID).supersedes == nil)
        let cancel = try await post(
          relatives, Self.alert("DK-HBR-0103", msgType: "Cancel", references: ["DK-HBR-0101"]))
        #expect(cancel.status == 422, "\(cancel.text)")
        let policeStatus = try await workspace.status(policeID)
        #expect(policeStatus.supersededBy == nil && policeStatus.cancelledAt == nil)
        #expect(Self.hooks(http, of: policeID).map { $0.payload["contact"] as? String } == ["p1"])

        // The fire service's Update of its alert supersedes the real one, not the look-alike.
        let ownUpdate = try await post(
          fire,
          Self.alert(
            "DK-HBR-0104", msgType: "Update", audience: "Beboere og ansatte på Amager",
            headline: "Røgen er drevet væk", references: ["DK-HBR-0100"]))
        let ownUpdateID = try #require(ownUpdate.json["id"] as? String, "\(ownUpdate.text)")
        #expect(try await workspace.status(ownUpdateID).supersedes == realID)
        #expect(try await workspace.status(plantedID).supersededBy == nil)
      }
    }

    /// The CLI path is no way around it: the daemon gives a CAP alert from
    /// the intake socket the operators' key whatever the client wrote, and
    /// refuses a key in CAP's or the API tokens' namespace on any other
    /// request; `commsd send --idempotency-key` refuses one too.
    @Test func theIntakeSocketKeepsCAPAndTokenKeysToThemselves() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port, recipients: Self.recipients, extra: Self.config)
        _ = try workspace.startDaemon()
        let socket = workspace.dataDirectory + "/commsd.sock"
        try await eventually(timeout: .seconds(20), "the intake socket") {
          FileManager.default.fileExists(atPath: socket)
        }
        let sender = "vagtcentral@beredskab.example.dk"
        let tokenKey = "cap:\(sender),DK-HBR-0300,api:beredskab"
        func submit(_ key: String, cap: CAPIdentity? = nil) throws -> IntakeWire.Response? {
          let request = SendRequest(
            audiences: ["staff"], priority: .urgent,
            contents: ["da": MessageContent(subject: "Røg", body: "Gå indenfor.")],
            idempotencyKey: key,
            sender: Sender(kind: .cli, name: NSUserName(), origin: "test"), cap: cap)
          guard case .answered(let response) = try IntakeClient.submit(request, socketPath: socket)
          else { return nil }
          return response
        }
        guard case .refused(let field, _) = try submit(tokenKey) else {
          Issue.record("a token's CAP key was taken over the socket")
          return
        }
        #expect(field == "idempotency_key")
        guard
          case .accepted(let id, _, _) = try submit(
            tokenKey, cap: CAPIdentity(sender: sender, identifier: "DK-HBR-0300", sent: "x"))
        else {
          Issue.record("not accepted")
          return
        }
        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        #expect(
          try await store.message(id)?.idempotencyKey == "cap:\(sender),DK-HBR-0300",
          "stored under the operators' key, not the one the client wrote")
        let cli = try await workspace.commsd([
          "send", "--audience", "staff", "--subject", "x", "--body", "y", "--idempotency-key",
          "api:beredskab:k1",
        ])
        #expect(cli.status != 0)
        #expect(
          cli.stderr.contains("kept for CAP alerts, API tokens, drafts and the console"),
          "\(cli.stderr)")
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
        #expect(try await store.unplannedMessages(limit: 10, now: .distantFuture).isEmpty)
        #expect(try await store.auditEvents(kinds: ["message.accepted"]).isEmpty)
      }
    }
  }
}
