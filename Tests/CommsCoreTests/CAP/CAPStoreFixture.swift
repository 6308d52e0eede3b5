import Foundation

@testable import CommsCore

/// A store and a configuration with a `[cap]` section, its clock on the
/// morning of the Danish exercise (2025-03-12), so that the fixtures'
/// expiry times are still ahead.
struct CAPStoreFixture {
  let directory: URL
  let store: SQLiteStore
  let configuration: Configuration
  let clock = ManualClock(CAPFixtures.utc("2025-03-12T08:00:00")!)

  static let capSection = """
    [cap]
    sender = "krisestab@kommune.example"
    sender_name = "Krisestaben, Eksempel Kommune"
    category = "Safety"
    [cap.audiences]
    "Beboere og ansatte på Amager" = ["staff", "relatives"]
    security = ["police"]
    Geo = ["staff"]
    default = ["staff"]
    """

  init(cap: String = capSection, defaultLanguage: String = "da") throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "commsd-cap-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    store = try SQLiteStore(path: directory.appendingPathComponent("commsd.sqlite").path)
    configuration = try ConfigurationLoader.parse(
      """
      data_dir = "var"
      default_language = "\(defaultLanguage)"
      [endpoints.hook]
      url = "http://127.0.0.1:8099/hook"
      secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
      [audiences.staff]
      display_name = "Personale"
      [audiences.staff.translations.en]
      display_name = "Staff"
      [audiences.relatives]
      display_name = "Pårørende"
      [audiences.police]
      display_name = "Politiet"
      \(cap)
      [[recipients]]
      id = "a"
      name = "Anne"
      audiences = ["staff"]
      contacts = ["hook:anne"]
      [[recipients]]
      id = "b"
      name = "Bo"
      audiences = ["staff", "relatives"]
      contacts = ["hook:bo"]
      language = "en"
      [[recipients]]
      id = "p"
      name = "Vagtcentralen"
      audiences = ["police"]
      contacts = ["hook:police"]
      """, file: directory.appendingPathComponent("commsd.toml").path)
  }

  var capIntake: CAPIntake { CAPIntake(configuration: configuration, store: store, clock: clock) }

  func intake() -> Intake { Intake(configuration: configuration, store: store, clock: clock) }

  /// What the intake makes of `alert` (read from "test.xml").
  func action(_ alert: CAPAlert) async throws -> CAPIntake.Action {
    try await capIntake.action(for: alert, origin: "test.xml")
  }

  /// The request for `alert`, which must be an Alert or Update.
  func request(_ alert: CAPAlert) async throws -> SendRequest {
    guard case .send(let request) = try await action(alert) else {
      throw StoreError.corrupt("\(alert.identifier) is not sent")
    }
    return request
  }

  /// Feeds `alert` through CAP intake and intake; the stored message's id.
  @discardableResult
  func accept(_ alert: CAPAlert) async throws -> AcceptOutcome {
    try await intake().accept(try await request(alert))
  }

  /// The Danish exercise as an Update (`identifier`) of the alerts in `references`.
  static func update(
    _ identifier: String, of references: [String], headline: String = "Røgen er drevet væk"
  ) throws -> CAPAlert {
    var alert = try CAPFixtures.alert("danish-exercise")
    alert.identifier = identifier
    alert.msgType = .update
    alert.sent = alert.sent.addingTimeInterval(900)
    alert.sentText = CAPDateTime.format(alert.sent)
    alert.references = references.map {
      CAPReference(sender: alert.sender, identifier: $0, sent: "2025-03-12T09:30:00+01:00")
    }
    alert.infos[0].headline = headline
    return alert
  }

  func cleanUp() { try? FileManager.default.removeItem(at: directory) }
}

extension AcceptOutcome {
  var id: MessageID {
    switch self {
    case .accepted(let id), .duplicate(let id): id
    }
  }
}
