import CommsCore
import Foundation
import Testing

extension EndToEnd {
  @Suite struct Crash {
    /// kill -9 of the daemon while 2,000 deliveries are being dispatched, then
    /// a restart: every delivery arrives; duplicates only among those that
    /// were in flight (state `sending`) at the moment of the kill.
    @Test func killNineMidDispatchLosesNothing() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(
          try await Receiver.http(directory: workspace.directory, arguments: ["--delay-ms", "20"]))
        // A wide dispatcher, so that many transfers are truly in flight when killed.
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port, recipients: staff(2000), maxInFlight: 256,
          endpointConcurrency: 256)

        let daemon = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "staff", "--subject", "Evakuering", "--body", "Mød op.",
        ])
        try await eventually(timeout: .seconds(60), "some deliveries to arrive before the kill") {
          http.count >= 300
        }
        daemon.kill9()

        let atKill = try await workspace.status(id)
        let inFlight = Set(atKill.deliveries.filter { $0.state == "sending" }.map(\.id))
        let deliveredBefore = atKill.counts["delivered"] ?? 0
        #expect(!inFlight.isEmpty)
        #expect(deliveredBefore < 2000)

        _ = try workspace.startDaemon(name: "daemon-restarted")
        let status = try await workspace.waitUntilFinal(id, timeout: .seconds(120))
        #expect(status.counts == ["delivered": 2000])

        var arrivals: [String: Int] = [:]
        for hook in http.webhooks { arrivals[hook.webhookID, default: 0] += 1 }
        let all = Set(status.deliveries.map(\.id))
        #expect(Set(arrivals.keys) == all, "every delivery arrived")
        let duplicates = Set(arrivals.filter { $0.value > 1 }.keys)
        #expect(
          duplicates.isSubset(of: inFlight), "duplicates only among those in flight at the kill")
        #expect(arrivals.values.allSatisfy { $0 <= 2 })
      }
    }
  }
}
