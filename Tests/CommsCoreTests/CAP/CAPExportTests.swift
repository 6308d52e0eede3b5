import Foundation
import Testing

@testable import CommsCore

/// CAP out: messages as alerts that read back as written and validate
/// against the CAP 1.2 schema.
@Suite struct CAPExportTests {
  static let acceptedAt = Date(timeIntervalSince1970: 1_790_000_000.75)

  static func message(
    _ id: String, priority: Priority = .urgent, kind: MessageKind = .alert,
    supersedes: String? = nil, mode: MessageMode = .actual, expiresAt: Date? = nil,
    at: Date = acceptedAt
  ) -> Message {
    Message(
      id: MessageID(rawValue: id), idempotencyKey: nil,
      sender: Sender(kind: .cli, name: "mette", origin: "stab"),
      audiences: ["staff", "relatives"], priority: priority, kind: kind,
      contents: [
        "en": MessageContent(subject: "Visiting ban", body: "No visits until further notice."),
        "da": MessageContent(
          subject: "Besøgsforbud", body: "Ingen besøg indtil videre.\nRing & spørg."),
        "ar": MessageContent(subject: "حظر الزيارة", body: "لا زيارات."),
      ],
      defaultLanguage: "da", acceptedAt: at, supersedes: supersedes.map(MessageID.init(rawValue:)),
      expiresAt: expiresAt, mode: mode)
  }

  static let first = "msg_01K5Z3V2W0A1B2C3D4E5F6G7H8"
  static let second = "msg_01K5Z3V2W0A1B2C3D4E5F6G7H9"

  func exporter() throws -> CAPExport {
    let fixture = try CAPStoreFixture()
    defer { fixture.cleanUp() }
    return try #require(CAPExport(configuration: fixture.configuration))
  }

  /// `alert` written, read back equal, and the text.
  func roundTrip(_ alert: CAPAlert) throws -> String {
    let xml = CAPWriter.xml(alert)
    #expect(try CAPReader.parse(Data(xml.utf8)) == alert)
    return xml
  }

  @Test func aPlainMessageIsAnAlertWithOneInfoPerLanguage() throws {
    let export = try exporter()
    let expires = Self.acceptedAt.addingTimeInterval(7200.5)
    let alert = export.alert(
      for: Self.message(Self.first, expiresAt: expires), predecessor: nil)
    _ = try roundTrip(alert)
    #expect(alert.identifier == Self.first)
    #expect(alert.sender == "krisestab@kommune.example")
    #expect(alert.sentText == "2026-09-21T14:13:20+00:00")
    #expect(alert.status == .actual)
    #expect(alert.msgType == .alert)
    #expect(alert.scope == .public)
    #expect(alert.references.isEmpty)
    #expect(alert.infos.map(\.language) == ["da", "ar", "en"])
    let danish = alert.infos[0]
    #expect(danish.categories == [.safety])
    #expect(danish.event == "Besøgsforbud")
    #expect(danish.headline == "Besøgsforbud")
    #expect(danish.description == "Ingen besøg indtil videre.\nRing & spørg.")
    #expect(danish.audience == "Personale, Pårørende")
    #expect(alert.infos[2].audience == "Staff, Pårørende")
    #expect(danish.senderName == "Krisestaben, Eksempel Kommune")
    #expect(danish.expires == Date(timeIntervalSince1970: 1_790_007_201))
    #expect(danish.urgency == .expected)
    #expect(danish.severity == .moderate)
    #expect(danish.certainty == .likely)
    #expect(alert.commsPriority == .urgent)
  }

  @Test(arguments: Priority.allCases)
  func priorityReadsBackTheSame(_ priority: Priority) throws {
    let alert = try exporter().alert(
      for: Self.message(Self.first, priority: priority), predecessor: nil)
    #expect(alert.commsPriority == (priority == .bulk ? .normal : priority))
  }

  @Test func anUpdateReferencesItsPredecessorsExport() throws {
    let export = try exporter()
    let old = Self.message(Self.first)
    let new = Self.message(
      Self.second, kind: .allClear, supersedes: Self.first, mode: .exercise,
      at: Self.acceptedAt.addingTimeInterval(60))
    let alert = export.alert(for: new, predecessor: old)
    _ = try roundTrip(alert)
    #expect(alert.msgType == .update)
    #expect(alert.status == .exercise)
    #expect(
      alert.references == [
        CAPReference(
          sender: "krisestab@kommune.example", identifier: Self.first,
          sent: "2026-09-21T14:13:20+00:00")
      ])
    #expect(alert.references == [export.reference(to: old)])
    #expect(alert.infos.allSatisfy { $0.responseTypes == [.allClear] })
  }

  @Test func aCancelledMessageExportsAsItsCancel() async throws {
    let fixture = try CAPStoreFixture()
    defer { fixture.cleanUp() }
    let export = try #require(CAPExport(configuration: fixture.configuration))
    let id = try await fixture.accept(try CAPFixtures.alert("danish-exercise")).id
    let message = try #require(try await fixture.store.message(id))
    var generator = SystemRandomNumberGenerator()
    let sender = Sender(kind: .cli, name: "mette", origin: "stab")
    let retraction = Retraction.message(
      withdrawing: message, reason: "Sendt ved en fejl", sender: sender,
      at: fixture.clock.now(), using: &generator)
    _ = try await fixture.store.cancel(
      Cancellation(
        messageID: id, reason: "Sendt ved en fejl", actor: sender, at: fixture.clock.now(),
        retraction: retraction))
    let record = try #require(try await fixture.store.cancellation(of: id))
    #expect(record.reason == "Sendt ved en fejl")
    #expect(record.retraction == retraction.id)

    let cancel = export.cancel(of: message, cancellation: record, retraction: retraction)
    _ = try roundTrip(cancel)
    #expect(cancel.msgType == .cancel)
    #expect(cancel.status == .exercise)
    #expect(cancel.identifier == retraction.id.rawValue)
    #expect(cancel.note == "Sendt ved en fejl")
    #expect(cancel.references == [export.reference(to: message)])
    #expect(cancel.infos.isEmpty)

    // Without a retraction: its own identifier, sent when it was cancelled.
    let quiet = export.cancel(of: message, cancellation: record, retraction: nil)
    #expect(quiet.identifier == "\(id)-cancel")
    #expect(quiet.sent == CAPExport.wholeSeconds(record.at))
    // A message that came in as CAP is exported as commsd's own.
    let alert = export.alert(for: message, predecessor: nil)
    #expect(alert.identifier == id.rawValue)
    #expect(alert.status == .exercise)
    #expect(alert.commsPriority == .flash)
  }

  @Test func exportsValidateAgainstTheSchema() throws {
    let export = try exporter()
    let old = Self.message(Self.first, expiresAt: Self.acceptedAt.addingTimeInterval(3600))
    let new = Self.message(Self.second, priority: .flash, supersedes: Self.first, mode: .test)
    let documents = [
      "plain": CAPWriter.xml(export.alert(for: old, predecessor: nil)),
      "update": CAPWriter.xml(export.alert(for: new, predecessor: old)),
      "cancel": CAPWriter.xml(
        export.cancel(
          of: new,
          cancellation: CancellationRecord(at: Self.acceptedAt, reason: "Fejl", retraction: nil),
          retraction: nil)),
    ]
    let directory = try CAPSchemaTests.write(documents)
    defer { try? FileManager.default.removeItem(at: directory) }
    let result = try CAPSchemaTests.validate(
      documents.keys.sorted().map { directory.appendingPathComponent("\($0).xml") })
    #expect(result.status == 0, "\(result.output)")
  }

  @Test func withoutASenderThereIsNoExport() throws {
    let fixture = try CAPStoreFixture(cap: "[cap.audiences]\ndefault = [\"staff\"]")
    defer { fixture.cleanUp() }
    #expect(CAPExport(configuration: fixture.configuration) == nil)
  }
}
