import CommsCore
import Foundation
import PostgresTestSupport
import Testing

extension EndToEnd.ScaleOut {
  /// A message scheduled over one node's API is released by the other
  /// after the first stopped: the schedule is in the shared store, and
  /// whichever node plans at the time releases it, once (both nodes'
  /// clocks moved by COMMSD_TEST_CLOCK_FILE, not waited for).
  @Test func aMessageScheduledOnOneNodeIsReleasedByTheOther() async throws {
    try await withWorkspace { workspace in
      let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
      let database = try TestPostgres.freshDatabase()
      defer { TestPostgres.drop(database) }
      let clock = try EndToEnd.ConfirmationWaves.FakeClock(workspace)
      let token = TestToken(name: "integrator", audiences: ["staff"])
      let (port, otherPort) = (try freePort(), try freePort())
      let people = (1...20).map {
        recipient("s\($0)", "Person \($0)", audiences: ["staff"], contacts: ["hook:s\($0)"])
      }.joined()
      try workspace.writeConfig(
        smtpPort: nil, httpPort: http.port, recipients: people,
        extra: "store = \"\(database)\"\n" + Workspace.apiSection(port: port, tokens: [token]))
      let text = try String(contentsOfFile: workspace.configPath, encoding: .utf8)
      let second = workspace.directory + "/node2.toml"
      try text.replacingOccurrences(of: "data_dir = \"var\"", with: "data_dir = \"var2\"")
        .replacingOccurrences(of: "127.0.0.1:\(port)", with: "127.0.0.1:\(otherPort)")
        .write(toFile: second, atomically: true, encoding: .utf8)
      let client = APIClient(base: "http://127.0.0.1:\(port)")
      let first = try workspace.startDaemon(name: "node1", environment: clock.environment)
      let other = try workspace.startDaemon(
        name: "node2", config: second, environment: clock.environment)
      try await eventually(timeout: .seconds(30), "node 1's API") {
        (try? await client.call("GET", "/readyz"))?.status == 200
      }
      let release = Timestamp.format(Date().addingTimeInterval(30 * 60))
      let posted = try await client.call(
        "POST", "/v1/messages", token: token.token,
        json:
          #"{"audiences":["staff"],"subject":"Efter pressemødet","body":"Nu.","not_before":"\#(release)"}"#
      )
      #expect(posted.status == 202, "\(posted.text)")
      let id = try #require(posted.json["id"] as? String)
      await first.stop()
      try clock.set(minutes: 31)
      try await eventually(timeout: .seconds(60), "node 2 to release and deliver it") {
        try count(database, "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'") == 20
      }
      #expect(
        try count(
          database,
          "SELECT COUNT(*) FROM audit_events WHERE kind = 'message.planned' AND message_id = '\(id)'"
        ) == 1)
      #expect(
        try count(database, "SELECT COUNT(*) FROM deliveries WHERE created_at >= '\(release)'")
          == 20, "planned at the release, not when it was posted")
      #expect(Set(http.webhooks.map(\.webhookID)).count == 20 && http.webhooks.count == 20)
      await other.stop()
    }
  }
}
