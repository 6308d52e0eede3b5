import Foundation
import Testing

@testable import CommsCore

/// A flash message taken at intake is handed to the dispatcher whole
/// (issue 25): what goes beyond its endpoint's concurrency and deck waits
/// in the endpoint's lane in the engine and goes out as the receiver
/// answers, not at the dispatcher loop's next turns (under load each came
/// behind a lease or a round of bulk: up to 60 ms in the flash benchmark).
@Suite struct FlashHandTests {
  @Test func aFlashMessageToMoreThanItsEndpointRunsAtOnceGoesOutWithoutTheLoop() async throws {
    try await withHTTPReceiver { receiver in
      let recipients = (1...8).map {
        """
        [[recipients]]
        id = "f\($0)"
        name = "F\($0)"
        audiences = ["flash"]
        contacts = ["rx:f\($0)"]
        """
      }
      let fixture = try StoreFixture(
        more: """
          [endpoints.rx]
          url = "http://127.0.0.1:\(receiver.port)/delay/50"
          secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
          concurrency = 2
          [audiences.flash]
          \(recipients.joined(separator: "\n"))
          """)
      defer { fixture.cleanUp() }
      let (message, fingerprint, plan) = try fixture.flash(audiences: ["flash"])
      let (_, leased) = try await fixture.store.acceptPlannedAndLeased(
        message, fingerprint: fingerprint, plan: StreamedPlan(plan), owner: "n1",
        until: message.acceptedAt + 300)
      #expect(leased.count == 8)

      let engine = CurlEngine()
      let (dispatcher, _) = fixture.dispatcher(engine: engine)
      // The dispatcher's loop never runs here: only what `hand` gave the
      // engine can arrive.
      await dispatcher.hand(leased, of: message)
      let arrived = try await receiver.eventually(within: .seconds(10)) {
        try $0.records(as: ReceivedPost.self).count >= 8
      }
      await engine.shutdown()

      let received = try receiver.records(as: ReceivedPost.self)
      #expect(arrived, "only \(received.count) of 8 arrived without the loop")
      #expect(
        Set(received.compactMap { $0.header("webhook-id") }) == Set(leased.map(\.id.rawValue)))
      // The lane kept the endpoint's concurrency: two connections, reused.
      #expect(Set(received.map(\.clientPort)).count <= 2, "\(received.map(\.clientPort))")
    }
  }
}
