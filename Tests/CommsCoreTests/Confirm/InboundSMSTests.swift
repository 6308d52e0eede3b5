import Foundation
import Testing

@testable import CommsCore

/// SMS replies as the gateways document their inbound callbacks
/// (GatewayAPI rest.rst "MO SMS", Twilio's incoming message webhook), the
/// words that confirm, and what a reply does at the store.
@Suite struct InboundSMSTests {
  let secret = Array("gw-webhook-t0ken".utf8)
  /// The callback example of GatewayAPI's documentation, answering "OK"
  /// behind the leased keyword "foo".
  let mo: [String: Any] = [
    "id": 1_000_001, "msisdn": 4_587_654_321, "receiver": 451_204, "message": "foo OK",
    "senttime": 1_450_000_000, "webhook_label": "test", "country_code": "DK",
    "country_prefix": 45,
  ]

  func body(_ fields: [String: Any]) throws -> [UInt8] {
    Array(try JSONSerialization.data(withJSONObject: fields))
  }

  @Test func aGatewayAPIMOSMSIsReadWhenItsSignatureIsForIt() throws {
    let token = GatewayAPIReceipt.token(claims: mo, secret: secret)
    let sms = try InboundSMS.gatewayAPI(body: try body(mo), signature: token, secret: secret)
    #expect(
      sms
        == InboundSMS(
          from: "+4587654321", text: "foo OK", providerRef: "1000001",
          providerTime: Date(timeIntervalSince1970: 1_450_000_000)))
    // Another SMS's body under this signature; a wrong secret; none.
    var other = mo
    other["msisdn"] = 4_511_111_111
    #expect(throws: ReceiptRefusal.self) {
      try InboundSMS.gatewayAPI(body: try body(other), signature: token, secret: secret)
    }
    #expect(throws: ReceiptRefusal.self) {
      try InboundSMS.gatewayAPI(
        body: try body(mo), signature: token, secret: Array("another".utf8))
    }
    #expect(throws: ReceiptRefusal.self) {
      try InboundSMS.gatewayAPI(body: try body(mo), signature: nil, secret: secret)
    }
    do {
      _ = try InboundSMS.gatewayAPI(body: Array("[1]".utf8), signature: token, secret: secret)
      Issue.record("a body that is no object was taken")
    } catch {
      #expect(error.kind == .malformed)
    }
  }

  @Test func aTwilioIncomingMessageIsReadWhenSignedForItsURL() throws {
    let url = "https://commsd.kommune.example/v1/inbound/sms-twilio"
    let form =
      "ToCountry=DK&SmsMessageSid=SM1&NumMedia=0&Body=Ok.&From=%2B4511111111&To=%2B4520000002&MessageSid=SM1&AccountSid=AC1&ApiVersion=2010-04-01"
    let fields = try #require(FormDecoding.decode(Array(form.utf8)))
    let signature = TwilioReceipt.signature(url: url, fields: fields, authToken: "t0ken")
    let sms = try InboundSMS.twilio(
      url: url, body: Array(form.utf8), signature: signature, authToken: "t0ken")
    #expect(sms == InboundSMS(from: "+4511111111", text: "Ok.", providerRef: "SM1"))
    #expect(throws: ReceiptRefusal.self) {
      try InboundSMS.twilio(
        url: url + "x", body: Array(form.utf8), signature: signature, authToken: "t0ken")
    }
    #expect(
      InboundController.origin(of: "https://c.example:8443/v1/receipts/x?a=b")
        == "https://c.example:8443")
  }

  @Test func oneConfirmationWordConfirmsAndAnythingMoreIsAReply() {
    let words = ConfirmKeywords.standard
    for yes in ["OK", " ok. ", "Ja!", "jep", "YES", "Bekræft", "okay"] {
      #expect(words.confirms(yes), "\(yes)")
    }
    #expect(words.confirms("foo OK", prefix: "foo"))
    for no in ["", "ok men hvad med besøg?", "nej", "foo OK", "ok ok", "o k"] {
      #expect(!words.confirms(no), "\(no)")
    }
    #expect(ConfirmKeywords(words: ["Tak"]).confirms("TAK"))
  }

  @Test func theWordsAndTheLeasedKeywordAreConfiguredAndCheckedWithTheirLine() throws {
    let base = "data_dir = \"var\"\n[audiences.staff]\n[confirm]\n"
    let configured = try ConfigurationLoader.parse(
      base + "sms_words = [\"Tak\", \"OK\"]\nsms_prefix = \"krise\"", file: "/etc/c.toml")
    #expect(configured.confirm.smsWords == ConfirmKeywords(words: ["tak", "ok"]))
    #expect(configured.confirm.smsPrefix == "krise")
    #expect(try ConfigurationLoader.parse(base, file: "/etc/c.toml").confirm.smsWords == .standard)
    for (bad, key) in [
      ("sms_words = [\"ok ja\"]", "confirm.sms_words"), ("sms_words = []", "confirm.sms_words"),
      ("sms_prefix = \"a b\"", "confirm.sms_prefix"),
    ] {
      do {
        _ = try ConfigurationLoader.parse(base + bad, file: "/etc/c.toml")
        Issue.record("\(bad) was taken")
      } catch {
        #expect("\(error)".contains("/etc/c.toml:4") && "\(error)".contains(key), "\(error)")
      }
    }
  }

  @Test(arguments: StoreKind.allCases)
  func aReplyConfirmsTheNewestMessageToThatNumberAndOtherRepliesBecomeInquiries(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let store = fixture.store
    let now = fixture.clock.now()
    var request = fixture.request(audiences: ["relatives"])
    request.confirmation = ConfirmationRequest()
    let id = try await fixture.acceptAndPlan(request)
    try await fixture.execute("UPDATE deliveries SET state = 'delivered'")
    let since = now - 86400
    let directory = fixture.configuration.directory
    func receive(
      _ from: String, _ text: String, endpoint: String = "sms", since: Date = since, at: Date
    )
      async throws -> InquiryOutcome
    {
      try await store.receiveReply(
        IncomingReply(channel: .sms, source: endpoint, from: from, text: text),
        sender: directory.recipient(reachedAt: from, endpoint: endpoint), directory: directory,
        confirms: ConfirmKeywords.standard.confirms(text), confirmSince: since,
        policy: fixture.configuration.inboundPolicy, at: at)
    }

    #expect(
      try await receive("+4511111111", "OK", at: now + 60) == .confirmation(.confirmed(late: false))
    )
    #expect(
      try await receive("+4511111111", "OK", at: now + 90) == .confirmation(.repeated(at: now + 60))
    )
    let summary = try #require(try await store.status(of: id)?.confirmation)
    #expect(summary.byWay == ["sms": 1])
    #expect(summary.notConfirmed.map(\.id) == ["c"])

    // A question, a stranger's OK, another endpoint, too old: inquiries, nothing confirmed.
    guard
      case .inquiry(_, let match, false) = try await receive(
        "+4522222222", "Må vi komme på søndag?", at: now + 120)
    else { throw StoreError.corrupt("not an inquiry") }
    #expect(match == .latest)
    guard
      case .inquiry(_, .unmatched, false) = try await receive("+4599999999", "OK", at: now + 130)
    else { throw StoreError.corrupt("not an unmatched inquiry") }
    guard case .inquiry = try await receive("+4522222222", "OK", endpoint: "other", at: now + 140)
    else { throw StoreError.corrupt("confirmed over another endpoint") }
    guard case .inquiry = try await receive("+4522222222", "OK", since: now + 1, at: now + 150)
    else { throw StoreError.corrupt("confirmed a message too old") }
    let kept = try await store.auditEvents(kinds: ["inquiry.received"])
    #expect(kept.count == 4)
    #expect(kept.first?.event.personal["text"] == "Må vi komme på søndag?")
    #expect(kept.first?.event.messageID == id)
    #expect(try await store.status(of: id)?.confirmation?.confirmed == 1)
  }
}
