import Foundation
import Testing

@testable import CommsCore

/// The dry run: what each kind of reader would get, who is held and why,
/// and that nothing is queued.
@Suite final class DryRunTests {
  let directory: URL
  let store: SQLiteStore
  let configuration: CommsCore.Configuration
  /// 23:30 in Copenhagen: inside the default quiet hours (22:00-07:00).
  let clock = ManualClock(Timestamp.parse("2026-11-25T22:30:00Z")!)

  init() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "commsd-dryrun-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    store = try SQLiteStore(path: directory.appendingPathComponent("commsd.sqlite").path)
    configuration = try ConfigurationLoader.parse(
      """
      data_dir = "var"
      [relays.local]
      url = "smtp://127.0.0.1:2525"
      from = "Krisestab <krisestab@kommune.example>"
      [endpoints.sms]
      format = "gatewayapi"
      url = "http://127.0.0.1:9/rest/mtsms"
      token = "t"
      sender = "Kommunen"
      max_sms_segments = 1
      [endpoints.teams]
      format = "teams-workflows"
      url = "http://127.0.0.1:9/teams"
      [audiences.staff]
      display_name = "Personale"
      footer = "Spørgsmål: ring 7012 3456."
      [audiences.relatives]
      display_name = "Pårørende"
      dosing.quiet_hours = "none"
      [[recipients]]
      id = "a"
      name = "Anne"
      audiences = ["staff"]
      contacts = ["anne@kommune.example"]
      [[recipients]]
      id = "b"
      name = "Bo"
      audiences = ["staff"]
      contacts = ["sms:20 00 00 02"]
      [[recipients]]
      id = "c"
      name = "Cecilie"
      audiences = ["relatives"]
      contacts = ["sms:+4522222222"]
      language = "ar"
      [[recipients]]
      id = "t"
      name = "Teams: Personale"
      audiences = ["staff"]
      contacts = ["teams:personale"]
      """, file: directory.appendingPathComponent("commsd.toml").path)
  }

  deinit { try? FileManager.default.removeItem(at: directory) }

  func request(_ body: String, sms: String? = nil) -> SendRequest {
    SendRequest(
      audiences: ["staff", "relatives"], priority: .normal, kind: .alert,
      contents: [
        "da": MessageContent(subject: "Vand afbrudt", body: body, sms: sms),
        "ar": MessageContent(subject: "انقطاع المياه", body: "اغلوا الماء قبل الاستعمال."),
      ],
      idempotencyKey: nil, sender: Sender(kind: .cli, name: "krisestab", origin: "h"))
  }

  @Test func eachKindOfReaderIsShownWithWhoIsHeldAndNothingIsQueued() async throws {
    let intake = Intake(configuration: configuration, store: store, clock: clock)
    let report = try await DryRun.report(
      request("Kog vandet før brug.\n\nMere i aften."), intake: intake)
    #expect(report.recipients == 4)
    #expect(report.unreachable.isEmpty)
    let groups = Dictionary(
      uniqueKeysWithValues: report.groups.map {
        ("\($0.audience) \($0.language) \($0.channel)", $0)
      })
    #expect(
      Set(groups.keys) == [
        "staff da email", "staff da sms (gatewayapi)", "staff da teams (teams-workflows)",
        "relatives ar sms (gatewayapi)",
      ])
    let email = try #require(groups["staff da email"])
    #expect(email.subject == "[Personale #1] Vand afbrudt")
    #expect(email.text.contains("Mere i aften."))
    #expect(email.held == ["quiet hours": 1] && email.now == 0)
    let sms = try #require(groups["staff da sms (gatewayapi)"])
    #expect(sms.text == "[Personale #1] Vand afbrudt\nKog vandet før brug.\n7012 3456")
    #expect(sms.sms == DryRunReport.SMS(segments: 1, encoding: "GSM-7", source: "shortened"))
    let arabic = try #require(groups["relatives ar sms (gatewayapi)"])
    #expect(arabic.sms?.encoding == "UCS-2")
    #expect(arabic.now == 1 && arabic.held.isEmpty)
    #expect(report.warnings == ["staff: every reader is held (see held); nobody gets it now"])
    // Nothing was stored.
    #expect(try await store.unplannedMessages(limit: 10, now: .distantFuture).isEmpty)
    #expect(report.text.hasPrefix("Dry run: nothing was queued. 4 reader(s)."))
  }

  @Test func aShortenedTextCutToFitIsAWarning() async throws {
    let intake = Intake(configuration: configuration, store: store, clock: clock)
    let long = String(repeating: "Kog vandet før brug hele dagen. ", count: 10)
    let report = try await DryRun.report(request(long), intake: intake)
    let sms = try #require(
      report.groups.first { $0.channel.hasPrefix("sms") && $0.language == "da" })
    #expect(sms.sms?.source == "cut")
    #expect(sms.sms?.segments == 1)
    #expect(report.warnings.contains { $0.contains("cut at a word to fit 1 SMS") })
  }

  /// Intake says the same at once, in the answer to a real send.
  @Test func intakeWarnsOfACutSMSTextButNotOfAWrittenOneOrAnAudienceWithoutSMS() async throws {
    let intake = Intake(configuration: configuration, store: store, clock: clock)
    let long = String(repeating: "Kog vandet før brug hele dagen. ", count: 10)
    let (cut, _) = try intake.makeMessage(request(long))
    #expect(
      await intake.smsWarnings(for: cut) == [
        "staff (da) via sms (gatewayapi): the SMS text is cut at a word to fit 1 SMS (max_sms_segments); give an SMS text (--sms-body, sms_body) to choose the words"
      ])
    let (written, _) = try intake.makeMessage(request(long, sms: "Kog vandet."))
    #expect(await intake.smsWarnings(for: written).isEmpty)
    let (short, _) = try intake.makeMessage(request("Kog vandet."))
    #expect(await intake.smsWarnings(for: short).isEmpty)
    // Only languages SMS readers have are rendered (the relatives read
    // Arabic: the long Danish body is not theirs), and only audiences with SMS readers.
    #expect(
      intake.directory.endpointReaders(of: "relatives") == [
        .init(endpoint: "sms", language: "ar")
      ])
    #expect(intake.directory.endpointReaders(of: "nobody").isEmpty)
  }

  @Test func aRefusalIsTheSameAsARealSend() async throws {
    let intake = Intake(configuration: configuration, store: store, clock: clock)
    await #expect(throws: IntakeError.self) {
      try await DryRun.report(
        self.request("Kog vandet.", sms: String(repeating: "Kog vandet. ", count: 20)),
        intake: intake)
    }
  }
}
