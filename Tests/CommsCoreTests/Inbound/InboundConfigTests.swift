import Foundation
import Testing

@testable import CommsCore

/// `[audiences.NAME.inbound]` and `[inbound]`: routes checked against the
/// endpoints, errors with file, line and key.
@Suite struct InboundConfigTests {
  static let base = """
    [relays.local]
    url = "smtp://127.0.0.1:2525"
    from = "Krisestab <krisestab@kommune.example>"
    [endpoints.carebook]
    url = "http://127.0.0.1:8098/carebook"
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    [endpoints.gw]
    url = "http://127.0.0.1:8097/sms"
    format = "gatewayapi"
    token = "t"
    sender = "Kommune"
    [audiences.relatives]
    reply_to = "paaroerende@kommune.example"

    """

  @Test func routesAcknowledgementsAndRemindersAreRead() throws {
    let configuration = try ConfigurationLoader.parse(
      Self.base + """
        [audiences.relatives.inbound]
        route = ["email:paaroerende@kommune.example", "webhook:carebook"]
        acknowledge_every = "30m"
        answer_within = "4h"
        [audiences.relatives.inbound.acknowledgement]
        ar = "شكرا"
        [inbound]
        route = ["email:hotline@kommune.example"]
        match_within = "7d"
        """, file: "/etc/c.toml")
    let routing = try #require(configuration.audiences["relatives"]?.inbound)
    #expect(routing.routes == [.email("paaroerende@kommune.example"), .webhook("carebook")])
    #expect(routing.acknowledge && routing.acknowledgeEvery == .seconds(1800))
    #expect(routing.answerWithin == .seconds(4 * 3600) && routing.acknowledgement["ar"] == "شكرا")
    #expect(configuration.inbound.unmatched?.routes == [.email("hotline@kommune.example")])
    #expect(configuration.inbound.matchWithin == .seconds(7 * 86400))
    #expect(configuration.inboundPolicy.routing(for: "staff") == configuration.inbound.unmatched)
  }

  @Test(arguments: [
    (#"route = ["sms:+4512345678"]"#, "route", "expected \"email:ADDRESS\""),
    (#"route = ["webhook:nowhere"]"#, "route", "no endpoint \"nowhere\""),
    (#"route = ["webhook:gw"]"#, "route", "sends SMS"),
    (#"route = ["teams:carebook"]"#, "route", "not teams-workflows"),
    (#"route = ["email:not an address"]"#, "route", "not a valid address"),
    (#"answer_within = "3 hours""#, "answer_within", "3 hours"),
    ("acknowledge = \"yes\"", "acknowledge", "expected true or false"),
  ])
  func aBadRoutingIsRefusedWithItsLine(line: String, key: String, message: String) {
    do {
      _ = try ConfigurationLoader.parse(
        Self.base + "[audiences.relatives.inbound]\n" + line + "\n", file: "/etc/c.toml")
      Issue.record("\(line) was taken")
    } catch {
      let text = "\(error)"
      #expect(text.contains("/etc/c.toml:15") && text.contains(key), "\(text)")
      #expect(text.contains(message), "\(text)")
    }
  }
}
