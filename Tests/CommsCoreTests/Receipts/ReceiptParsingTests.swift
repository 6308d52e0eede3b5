import Foundation
import Testing

@testable import CommsCore

/// Receipts read as each provider documents them (docs/providers/REFERENCE.md
/// §1.8-1.9 GatewayAPI, §2.4-2.5 Twilio), and refused when not theirs.
@Suite struct ReceiptParsingTests {
  let secret = Array("gw-webhook-t0ken".utf8)
  /// The DSN of GatewayAPI's documentation, for one of our deliveries.
  let dsn: [String: Any] = [
    "id": 1_000_001, "msisdn": 4_587_654_321, "time": 1_450_000_000, "status": "DELIVERED",
    "userref": "dlv_01KBX6QW1M8V7Y2D3E4F5G6H7J", "charge_status": "CAPTURED",
    "country_code": "DK", "country_prefix": 45,
  ]

  @Test func aGatewayAPIReceiptIsReadFromItsVerifiedClaims() throws {
    let token = GatewayAPIReceipt.token(claims: dsn, secret: secret)
    let receipt = try GatewayAPIReceipt.read(signature: token, secret: secret)
    #expect(
      receipt
        == Receipt(
          deliveryID: "dlv_01KBX6QW1M8V7Y2D3E4F5G6H7J", providerRef: "1000001", result: .delivered,
          status: "DELIVERED", providerTime: Date(timeIntervalSince1970: 1_450_000_000)))
    var failed = dsn
    failed["status"] = "UNDELIVERABLE"
    failed["code"] = "0x1010"
    failed["error"] = "Unknown subscriber"
    let undeliverable = try GatewayAPIReceipt.read(
      signature: GatewayAPIReceipt.token(claims: failed, secret: secret), secret: secret)
    #expect(
      undeliverable.result == .undeliverable(reason: "UNDELIVERABLE 0x1010 Unknown subscriber"))
    for status in ["ENROUTE", "BUFFERED", "ACCEPTED", "UNKNOWN", "SCHEDULED"] {
      var pending = dsn
      pending["status"] = status
      let receipt = try GatewayAPIReceipt.read(
        signature: GatewayAPIReceipt.token(claims: pending, secret: secret), secret: secret)
      #expect(receipt.result == .pending, "\(status)")
    }
  }

  @Test func aGatewayAPIReceiptNotSignedWithTheSecretIsRefused() throws {
    let wrong = GatewayAPIReceipt.token(claims: dsn, secret: Array("another".utf8))
    #expect(throws: ReceiptRefusal.self) {
      try GatewayAPIReceipt.read(signature: wrong, secret: secret)
    }
    #expect(throws: ReceiptRefusal.self) {
      try GatewayAPIReceipt.read(signature: nil, secret: secret)
    }
    // Claims changed after signing.
    let good = GatewayAPIReceipt.token(claims: dsn, secret: secret).split(separator: ".")
    var changed = dsn
    changed["userref"] = "dlv_someone_else"
    let forged = GatewayAPIReceipt.token(claims: changed, secret: secret).split(separator: ".")
    let spliced = "\(good[0]).\(forged[1]).\(good[2])"
    #expect(throws: ReceiptRefusal.self) {
      try GatewayAPIReceipt.read(signature: spliced, secret: secret)
    }
    // "alg": "none" with an empty signature.
    let none = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString()
      .replacingOccurrences(of: "=", with: "")
    #expect(throws: ReceiptRefusal.self) {
      try GatewayAPIReceipt.read(signature: "\(none).\(good[1]).", secret: secret)
    }
    do {
      _ = try GatewayAPIReceipt.read(signature: wrong, secret: secret)
    } catch {
      #expect(error.kind == .unauthenticated)
      #expect(!error.description.contains("dlv_"))
    }
  }

  /// Twilio's own documented example of its signature.
  @Test func twilioSignaturesAreComputedAsTwilioDocumentsThem() {
    let fields = [
      ("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
      ("From", "+12349013030"), ("To", "+18005551212"),
    ]
    #expect(
      TwilioReceipt.signature(
        url: "https://mycompany.com/myapp.php?foo=1&bar=2", fields: fields, authToken: "12345")
        == "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
  }

  @Test func aTwilioStatusCallbackIsReadWithTheDeliveryFromItsURL() throws {
    let url =
      "https://commsd.kommune.example/v1/receipts/twilio?delivery=dlv_01KBX6QW1M8V7Y2D3E4F5G6H7J"
    let body = Array(
      "MessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&MessageStatus=undelivered&ErrorCode=30003&AccountSid=AC0123&From=Kommunen&To=%2B46701234567&SmsStatus=undelivered&SmsSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&ApiVersion=2010-04-01"
        .utf8)
    // Worked out by twilio-python's RequestValidator algorithm.
    let signature = "DnjKH9nBKhlCcnbd9CumE/IpBQs="
    let receipt = try TwilioReceipt.read(
      url: url, body: body, signature: signature, authToken: "tw-auth-t0ken")
    #expect(receipt.deliveryID == "dlv_01KBX6QW1M8V7Y2D3E4F5G6H7J")
    #expect(receipt.providerRef == "SM1f0e8ae6ade43cb3c0ce4525424e404f")
    #expect(receipt.result == .undeliverable(reason: "undelivered 30003"))
    #expect(receipt.providerTime == nil)
    #expect(throws: ReceiptRefusal.self) {
      try TwilioReceipt.read(url: url, body: body, signature: signature, authToken: "wrong")
    }
    #expect(throws: ReceiptRefusal.self) {
      try TwilioReceipt.read(
        url: url.replacingOccurrences(of: "H7J", with: "H7K"), body: body, signature: signature,
        authToken: "tw-auth-t0ken")
    }
  }
}

/// What a gateway's 2xx means once it sends receipts.
@Suite struct AwaitingReceiptTests {
  @Test func aGatewayWithReceiptsHasOnlyTakenItAndItsIdIsKept() throws {
    let endpoint = Endpoint(
      name: "sms", url: "http://127.0.0.1:9/rest/mtsms",
      format: .gatewayAPI(
        GatewayAPIFormat(sender: "Kommunen", callbackURL: "https://x/v1/receipts/sms")),
      authentication: .token("t"),
      receipts: ReceiptSettings(timeout: .seconds(600), verification: .gatewayAPIJWT(secret: [1])))
    let answer = Array(#"{"ids": [421332671], "usage": {}}"#.utf8)
    #expect(
      WebhookTransport.awaitingReceipt(.delivered(status: 200), endpoint: endpoint, body: answer)
        == .accepted(status: 200, reference: "421332671", receiptWithin: .seconds(600)))
    // A refusal stays a refusal; without receipts, delivered stays delivered.
    #expect(
      WebhookTransport.awaitingReceipt(
        .permanent(status: 400, reason: "x"), endpoint: endpoint, body: answer)
        == .permanent(status: 400, reason: "x"))
    var plain = endpoint
    plain.receipts = nil
    #expect(
      WebhookTransport.awaitingReceipt(.delivered(status: 200), endpoint: plain, body: answer)
        == .delivered(status: 200))
    let twilio = EndpointFormat.twilio(TwilioFormat(sender: .from("+4570123456")))
    #expect(
      twilio.providerReference(Array(#"{"sid": "SM1f0e8a", "status": "queued"}"#.utf8))
        == "SM1f0e8a")
    #expect(twilio.providerReference(Array(#"{"sid": "SM\n1"}"#.utf8)) == nil)
  }
}
