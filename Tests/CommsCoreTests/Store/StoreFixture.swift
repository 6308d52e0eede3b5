import Foundation

@testable import CommsCore

/// A store in a temporary folder with a small configuration, for tests of
/// the stages that talk through it.
struct StoreFixture {
  let directory: URL
  let store: SQLiteStore
  let configuration: Configuration
  let clock = ManualClock(Date(timeIntervalSince1970: 1_790_000_000))

  init() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "commsd-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    store = try SQLiteStore(path: directory.appendingPathComponent("commsd.sqlite").path)
    configuration = try ConfigurationLoader.parse(
      """
      data_dir = "var"
      [relays.local]
      url = "smtp://127.0.0.1:2525"
      from = "Krisestab <krisestab@kommune.example>"
      [endpoints.sms]
      url = "http://127.0.0.1:8099/sms"
      secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
      [audiences.staff]
      [audiences.relatives]
      [audiences.police]
      [[recipients]]
      id = "a"
      name = "Anne"
      audiences = ["staff"]
      contacts = ["anne@kommune.example"]
      [[recipients]]
      id = "b"
      name = "Bo"
      audiences = ["staff", "relatives"]
      contacts = ["sms:+4511111111", "bo@kommune.example"]
      language = "en"
      [[recipients]]
      id = "c"
      name = "Cecilie"
      audiences = ["relatives"]
      contacts = ["sms:+4522222222"]
      """, file: directory.appendingPathComponent("commsd.toml").path)
  }

  func intake() -> Intake { Intake(configuration: configuration, store: store, clock: clock) }

  func request(
    audiences: [String] = ["staff"], subject: String = "Besøgsforbud", body: String = "Tekst",
    key: String? = nil
  ) -> SendRequest {
    SendRequest(
      audiences: audiences, priority: .urgent,
      contents: ["da": MessageContent(subject: subject, body: body)],
      idempotencyKey: key, sender: Sender(kind: .cli, name: "tester", origin: "localhost"))
  }

  /// Accepts and plans a message; returns its id.
  func acceptAndPlan(_ request: SendRequest) async throws -> MessageID {
    guard case .accepted(let id) = try await intake().accept(request) else {
      throw StoreError.corrupt("not accepted")
    }
    let message = try await store.message(id)!
    var generator = SystemRandomNumberGenerator()
    let plan = Planner(dosing: Dosing()).plan(
      message, directory: configuration.directory, at: clock.now(), using: &generator)
    try await store.savePlan(plan, at: clock.now())
    return id
  }

  func cleanUp() { try? FileManager.default.removeItem(at: directory) }
}
