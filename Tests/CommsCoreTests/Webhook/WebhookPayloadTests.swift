import Foundation
import Testing

@testable import CommsCore

@Suite struct WebhookPayloadTests {
  func payload(subject: String, body: String) -> WebhookPayload {
    let message = Message(
      id: MessageID(rawValue: "msg_01JDZ0000000000000000000AA"), idempotencyKey: nil,
      sender: Sender(kind: .cli, name: "t", origin: "h"), audiences: ["relatives"],
      priority: .flash,
      kind: .allClear, contents: ["da": MessageContent(subject: subject, body: body)],
      defaultLanguage: "da",
      acceptedAt: Date(timeIntervalSince1970: 1_795_000_000.25))
    let delivery = Delivery(
      id: DeliveryID(rawValue: "dlv_01JDZ0000000000000000000BB"), messageID: message.id,
      recipientID: "rel-\"1\"",
      recipientName: "Fatima Al-Sayed", audience: "relatives",
      contact: .webhook(endpoint: "sms", address: "+4520000012"),
      contactIndex: 0, language: "da", priority: .flash, state: .sending, dueAt: message.acceptedAt,
      createdAt: message.acceptedAt)
    return WebhookPayload(
      delivery: delivery, message: message,
      audience: Audience(name: "relatives", displayName: "Pårørende"))
  }

  @Test(arguments: [
    ("Besøgsforbud på plejehjem", "Kære pårørende,\n\tfra i dag…"),
    ("Quotes \" and \\ and / slashes", "Control \u{01}\u{1F}\u{7F} bytes \r\n and emoji 🚨"),
    ("تحديث: قيود الزيارة", "Line\u{2028}separator and \u{0C}\u{08}"),
  ])
  func writtenBytesEqualTheProjectEncoder(subject: String, body: String) throws {
    let value = payload(subject: subject, body: body)
    let expected = Array(try JSONCoding.encoder().encode(value))
    #expect(
      String(decoding: value.encoded(), as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    let decoded = try JSONCoding.decoder().decode(WebhookPayload.self, from: Data(value.encoded()))
    #expect(decoded == value)
  }

  @Test func auditDetailsAreSortedFlatObjects() throws {
    let detail = ["status": "503", "error": "HTTP 503 \"busy\"", "attempt": "2"]
    let text = JSONWriter.object(detail)
    #expect(text == #"{"attempt":"2","error":"HTTP 503 \"busy\"","status":"503"}"#)
    #expect(text == JSONCoding.string(detail))
  }
}

extension WebhookPayloadTests {
  /// The documented schema (docs/webhook-payload.schema.json) and what
  /// commsd sends name the same fields, so the documentation cannot drift.
  @Test func documentedSchemaNamesExactlyThePayloadFields() throws {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    let data = try Data(contentsOf: url.appendingPathComponent("docs/webhook-payload.schema.json"))
    let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let properties = try #require(schema["properties"] as? [String: Any])
    let required = try #require(schema["required"] as? [String])
    var value = payload(subject: "Besøgsforbud", body: "Tekst")
    value.replyTo = "Pårørendetelefonen <paaroerende@kommune.example>"
    // The optional fields, all at once (no real message has them all).
    value.mode = "exercise"
    value.updatesBulletin = 3
    value.supersedes = "msg_01KTR59BC020QY3XQQ7T7GC39Y"
    value.retractionOf = "msg_01KTR59BC020QY3XQQ7T7GC39Z"
    value.expiresAt = Date(timeIntervalSince1970: 1_790_000_000)
    value.inquiry = InquiryNotice(
      Inquiry(
        id: InquiryID(rawValue: "inq_01KTR59BC020QY3XQQ7T7GC39Y"),
        receivedAt: Date(timeIntervalSince1970: 1_790_000_000), channel: .sms, source: "gw",
        from: "+4520000002", text: "Må vi komme?", recipientID: "rel-002",
        recipientName: "Amal Haddad", audience: "relatives", unit: "solgaarden", language: "ar",
        messageID: MessageID(rawValue: "msg_01KTR59BC020QY3XQQ7T7GC39Z"), bulletin: 12,
        match: .latest, state: .open), role: .forward)
    let sent = try #require(
      try JSONSerialization.jsonObject(with: Data(value.encoded())) as? [String: Any])
    #expect(Set(sent.keys) == Set(properties.keys))
    let optional: Set = [
      "reply_to", "mode", "updates_bulletin", "supersedes", "retraction_of", "expires_at",
      "inquiry",
    ]
    #expect(Set(required) == Set(properties.keys).subtracting(optional))
    // Written directly, and still exactly what the encoder writes.
    let encoded = try JSONCoding.encoder().encode(value)
    #expect(value.encoded() == Array(encoded))
    #expect(
      ((schema["properties"] as? [String: [String: Any]])?["type"]?["enum"] as? [String])?
        .contains(value.type) == true)
    // The inquiry object names exactly what a question's copy carries.
    let inquiry = try #require(
      (properties["inquiry"] as? [String: Any])?["properties"] as? [String: Any])
    #expect(
      Set((sent["inquiry"] as? [String: Any] ?? [:]).keys)
        == Set(inquiry.keys).subtracting(["subject"]))
  }
}

extension WebhookPayloadTests {
  /// A fan-out writes the body's frame once per message and fills in each
  /// recipient's values (issue 25): every body must still be the bytes the
  /// project's encoder writes for that recipient, whatever their values hold.
  @Test(arguments: [
    ("Bo \"B\" Hansen", "+4520000013", "rel-2"),
    ("Line\nbreak \u{01} and \\ slash / ✓", "", "r\u{7F}"),
    ("", "kanal:#beredskab", "x"),
  ])
  func aFrameFilledForAnotherRecipientIsThatRecipientsPayload(
    name: String, contact: String, recipientID: String
  ) throws {
    let first = payload(subject: "Besøgsforbud", body: "Kære pårørende")
    let frame = first.frame()
    var other = first
    other.recipient = .init(id: recipientID, name: name)
    other.contact = contact
    other.deliveryID = "dlv_01JDZ0000000000000000000CC"
    let filled = frame.body(
      contact: contact, deliveryID: other.deliveryID, recipientID: recipientID,
      recipientName: name)
    let expected = Array(try JSONCoding.encoder().encode(other))
    #expect(String(decoding: filled, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
  }

  /// Through the transport: two recipients of one message get bodies from
  /// the cached frame that equal the format's own body for each, and each
  /// is signed over its own bytes.
  @Test func theTransportsFramedBodiesEqualTheFormatsBodies() throws {
    let configuration = try ConfigurationLoader.parse(
      """
      data_dir = "var"
      [endpoints.sms]
      url = "http://127.0.0.1:8099/sms"
      secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
      [audiences.relatives]
      display_name = "Pårørende"
      """, file: "/tmp/commsd-frame-test.toml")
    let transport = WebhookTransport(configuration: configuration)
    let base = payload(subject: "Besøgsforbud", body: "Tekst")
    let message = Message(
      id: MessageID(rawValue: base.messageID), idempotencyKey: nil,
      sender: Sender(kind: .cli, name: "t", origin: "h"), audiences: ["relatives"],
      priority: .flash, kind: .allClear,
      contents: ["da": MessageContent(subject: "Besøgsforbud", body: "Tekst")],
      defaultLanguage: "da", acceptedAt: base.acceptedAt)
    for (index, name) in ["Fatima \"F\" Al-Sayed", "Bo\nHansen"].enumerated() {
      let delivery = Delivery(
        id: DeliveryID(rawValue: "dlv_01JDZ000000000000000000\(index)BB"), messageID: message.id,
        recipientID: "rel-\(index)", recipientName: name, audience: "relatives",
        contact: .webhook(endpoint: "sms", address: "+452000001\(index)"), contactIndex: 0,
        language: "da", priority: .flash, state: .sending, dueAt: message.acceptedAt,
        createdAt: message.acceptedAt)
      guard case .transfer(let request) = transport.prepare(delivery, message: message),
        case .httpPost(_, let headers, let body) = request.payload
      else {
        Issue.record("no transfer")
        return
      }
      let expected = WebhookPayload(
        delivery: delivery, message: message, audience: configuration.audiences["relatives"]
      ).encoded()
      #expect(String(decoding: body, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
      let signature = try #require(headers.first { $0.name == "webhook-signature" }?.value)
      let timestamp = try #require(
        headers.first { $0.name == "webhook-timestamp" }.flatMap { Int($0.value) })
      let key = try #require(
        WebhookSigner.key(fromSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
      #expect(
        signature
          == WebhookSigner.signature(
            id: delivery.id.rawValue, timestamp: timestamp, body: expected, key: key))
    }
  }
}
