import CommsCore
import Foundation
import Testing

extension EndToEnd {
  @Suite struct LeaseRounds {
    /// Behind a slow endpoint the dispatcher leases a round of slots at a
    /// time, not the one or two a completion freed in its buffer: each
    /// lease is a write transaction, and topping up on every turn of the
    /// loop was 1,700 of them for 20,000 emails (issue 25).
    @Test func aSlowEndpointsBacklogIsLeasedInRounds() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let recipients = (1...300).map { index in
          recipient(
            "s-\(index)", "Person \(index)", audiences: ["staff"], contacts: ["hook:p\(index)"])
        }.joined()
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port, recipients: recipients, maxInFlight: 8,
          endpointConcurrency: 2)
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "staff", "--subject", "Info", "--body", "Tekst",
        ])
        try await workspace.waitUntilFinal(id, timeout: .seconds(60))
        #expect(http.webhooks.count == 300)
        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        let leases = try await store.auditEvents(kinds: ["delivery.leased"]).map {
          Int($0.event.detail["count"] ?? "") ?? 0
        }
        #expect(leases.reduce(0, +) == 300)
        // Every lease but the last takes at least max_in_flight (8).
        let small = leases.dropLast().filter { $0 < 8 }
        #expect(small.isEmpty, "leases of fewer than 8: \(small.count) of \(leases.count)")
      }
    }
  }
}
