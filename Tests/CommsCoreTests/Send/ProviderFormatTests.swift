import Foundation
import Testing

@testable import CommsCore

/// Each provider format's request, sent by the real curl engine to the
/// loopback recorder (Tests/Receivers/http_receiver.py) and held to what the
/// provider's public documentation shows (docs/providers/REFERENCE.md):
/// method, path, headers, authentication and body, in Danish, Arabic and
/// with an emoji. Expected bodies are written out here, not made by the code
/// under test; JSON is compared with its keys sorted.
@Suite(.serialized) struct ProviderFormatTests {
  static let accepted = Timestamp.parse("2026-11-25T12:05:00Z")!
  static let twilioAccount = "AC0123456789abcdef0123456789abcdef"

  /// A configuration with one endpoint of each format at `port`.
  static func configuration(port: Int, in directory: URL) throws -> Configuration {
    func write(_ text: String, _ name: String) throws {
      try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    try write("gw-t0ken\n", "gatewayapi.token")
    try write("tw-auth-t0ken\n", "twilio.token")
    try write("gateway-t0ken\n", "gateway.token")
    try write(
      #"{"to": "{{contact}}", "text": "{{text}}", "ref": "{{delivery_id}}", "parts": {{segments}}}"#,
      "gateway.mustache")
    try write(
      "http://127.0.0.1:\(port)/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=S1G\n",
      "teams.url")
    let base = "http://127.0.0.1:\(port)"
    let text = """
      data_dir = "var"
      [endpoints.gatewayapi]
      format = "gatewayapi"
      url = "\(base)/rest/mtsms"
      token_file = "gatewayapi.token"
      sender = "Kommunen"
      callback_url = "https://commsd.kommune.example/v1/receipts/gatewayapi"
      receipt_secret = "gw-webhook-t0ken"
      [endpoints.twilio]
      format = "twilio"
      url = "\(base)/2010-04-01/Accounts/\(twilioAccount)/Messages.json"
      basic_user = "\(twilioAccount)"
      password_file = "twilio.token"
      from = "+4570123456"
      status_callback = "https://commsd.kommune.example/v1/receipts/twilio"
      [endpoints.teams]
      format = "teams-workflows"
      url_file = "teams.url"
      [endpoints.slack]
      format = "slack"
      url = "\(base)/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
      [endpoints.gateway]
      format = "template"
      url = "\(base)/send"
      body_file = "gateway.mustache"
      text = "sms"
      bearer_token_file = "gateway.token"
      [audiences.staff]
      display_name = "Personale"
      """
    let path = directory.appendingPathComponent("commsd.toml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return try ConfigurationLoader.load(path: path)
  }

  static func message(
    _ language: String, _ subject: String, _ body: String, mode: MessageMode = .actual,
    sms: String? = nil
  ) -> Message {
    Message(
      id: MessageID(rawValue: "msg_01KAXE3M2V0000000000000000"), idempotencyKey: nil,
      sender: Sender(kind: .cli, name: "krisestab", origin: "h"), audiences: ["staff"],
      priority: .urgent, kind: .alert,
      contents: [language: MessageContent(subject: subject, body: body, sms: sms)],
      defaultLanguage: language, acceptedAt: accepted, mode: mode)
  }

  static func delivery(_ endpoint: String, _ address: String, language: String) -> Delivery {
    Delivery(
      id: DeliveryID(rawValue: "dlv_01KAXE3M2V0000000000000001"),
      messageID: MessageID(rawValue: "msg_01KAXE3M2V0000000000000000"), recipientID: "staff-002",
      recipientName: "Ali Hassan", audience: "staff",
      contact: .webhook(endpoint: endpoint, address: address), contactIndex: 0, bulletin: 7,
      language: language, priority: .urgent, state: .sending, dueAt: accepted, createdAt: accepted)
  }

  /// Sends one delivery through its endpoint's format and returns what the
  /// recorder received.
  static func send(_ delivery: Delivery, _ message: Message, links: ConfirmLinks? = nil)
    async throws -> ReceivedPost
  {
    let receiver = try TestReceiver.start("http_receiver.py", ["--status", "202"])
    defer { receiver.stop() }
    let configuration = try configuration(port: receiver.port, in: receiver.directory)
    let transport = WebhookTransport(configuration: configuration, links: links)
    guard case .transfer(let request) = transport.prepare(delivery, message: message) else {
      Issue.record("no request was made")
      throw CancellationError()
    }
    let engine = CurlEngine()
    let response = await engine.perform(request)
    await engine.shutdown()
    #expect(response.statusCode == 202)
    // A gateway told where to call back has only taken it: a receipt follows.
    let name = delivery.contact.endpointName ?? ""
    let expected: AttemptResult =
      configuration.endpoints[name]?.receipts == nil
      ? .delivered(status: 202)
      : .accepted(status: 202, reference: nil, receiptWithin: .seconds(24 * 3600))
    #expect(transport.classify(response, for: delivery) == expected)
    let records: [ReceivedPost] = try receiver.records()
    return try #require(records.first)
  }

  /// JSON text with sorted keys, for comparing bodies.
  static func canonical(_ bytes: [UInt8]) throws -> String {
    let value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    let data = try JSONSerialization.data(
      withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
    return String(decoding: data, as: UTF8.self)
  }

  static func canonical(_ text: String) throws -> String { try canonical(Array(text.utf8)) }

  // MARK: GatewayAPI

  @Test func gatewayAPIDanishIsTheDocumentedRESTCall() async throws {
    let message = Self.message(
      "da", "Vandforsyning afbrudt på Solgården", "Kog vandet før brug.\n\nMere følger kl. 16.")
    let post = try await Self.send(
      Self.delivery("gatewayapi", "+4520000002", language: "da"), message)
    #expect(post.method == "POST")
    #expect(post.path == "/rest/mtsms")
    #expect(post.header("authorization") == "Token gw-t0ken")
    #expect(post.header("content-type") == "application/json")
    #expect(post.header("accept") == "application/json")
    #expect(post.header("webhook-signature") == nil)
    #expect(
      try Self.canonical(post.bodyBytes)
        == Self.canonical(
          """
          {"sender": "Kommunen",
           "message": "[Personale #7] Vandforsyning afbrudt på Solgården\\nKog vandet før brug.",
           "recipients": [{"msisdn": 4520000002}],
           "userref": "dlv_01KAXE3M2V0000000000000001",
           "callback_url": "https://commsd.kommune.example/v1/receipts/gatewayapi",
           "max_parts": 1}
          """))
  }

  @Test func gatewayAPIArabicGoesAsUCS2() async throws {
    let message = Self.message("ar", "انقطاع المياه", "اغلوا الماء قبل الاستعمال.")
    let post = try await Self.send(
      Self.delivery("gatewayapi", "+4520000003", language: "ar"), message)
    #expect(
      try Self.canonical(post.bodyBytes)
        == Self.canonical(
          """
          {"sender": "Kommunen",
           "message": "[Personale #7] انقطاع المياه\\nاغلوا الماء قبل الاستعمال.",
           "recipients": [{"msisdn": 4520000003}],
           "userref": "dlv_01KAXE3M2V0000000000000001",
           "callback_url": "https://commsd.kommune.example/v1/receipts/gatewayapi",
           "encoding": "UCS2", "max_parts": 1}
          """))
  }

  @Test func gatewayAPIWrittenSMSTextWithEmojiAndExerciseMark() async throws {
    let message = Self.message(
      "da", "Evakuering", "Lang tekst …", mode: .exercise,
      sms: "🚨 Forlad bygning 3 nu. Mødested: P-pladsen.")
    let post = try await Self.send(
      Self.delivery("gatewayapi", "+4520000004", language: "da"), message)
    let body = try #require(
      try JSONSerialization.jsonObject(with: Data(post.bodyBytes)) as? [String: Any])
    #expect(body["message"] as? String == "[ØVELSE] 🚨 Forlad bygning 3 nu. Mødested: P-pladsen.")
    #expect(body["encoding"] as? String == "UCS2")
  }

  // MARK: Twilio

  @Test func twilioIsTheDocumentedFormEncodedMessagesCall() async throws {
    let message = Self.message("da", "Vand & varme", "Kog vandet (100 °C) før brug.")
    let post = try await Self.send(Self.delivery("twilio", "+4520000002", language: "da"), message)
    #expect(post.method == "POST")
    #expect(post.path == "/2010-04-01/Accounts/\(Self.twilioAccount)/Messages.json")
    let credentials = Data("\(Self.twilioAccount):tw-auth-t0ken".utf8).base64EncodedString()
    #expect(post.header("authorization") == "Basic \(credentials)")
    #expect(post.header("content-type") == "application/x-www-form-urlencoded")
    #expect(post.header("accept") == "application/json")
    // As Python's urlencode (twilio-python) writes it; "°" is not in GSM-7.
    #expect(
      String(decoding: post.bodyBytes, as: UTF8.self)
        == "To=%2B4520000002&From=%2B4570123456"
        + "&Body=%5BPersonale+%237%5D+Vand+%26+varme%0AKog+vandet+%28100+%C2%B0C%29+f%C3%B8r+brug."
        + "&StatusCallback=https%3A%2F%2Fcommsd.kommune.example%2Fv1%2Freceipts%2Ftwilio"
        + "%3Fdelivery%3Ddlv_01KAXE3M2V0000000000000001")
  }

  // MARK: Teams

  @Test func teamsIsAnAdaptiveCardInTheWorkflowsEnvelope() async throws {
    let message = Self.message(
      "da", "Vandforsyning afbrudt", "Kog vandet før brug.", mode: .exercise)
    let post = try await Self.send(Self.delivery("teams", "", language: "da"), message)
    #expect(post.method == "POST")
    #expect(
      post.path
        == "/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=S1G"
    )
    #expect(post.header("content-type") == "application/json")
    #expect(post.header("authorization") == nil)
    #expect(
      try Self.canonical(post.bodyBytes)
        == Self.canonical(
          """
          {"type": "message",
           "attachments": [{
             "contentType": "application/vnd.microsoft.card.adaptive",
             "contentUrl": null,
             "content": {
               "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
               "type": "AdaptiveCard", "version": "1.2",
               "body": [
                 {"type": "TextBlock", "text": "[ØVELSE] Vandforsyning afbrudt", "size": "Large",
                  "weight": "Bolder", "wrap": true},
                 {"type": "TextBlock",
                  "text": "[ØVELSE] Varsel · Personale #7 · 25.11.2026 kl. 13:05\\n\\nKog vandet før brug.",
                  "wrap": true},
                 {"type": "TextBlock", "text": "Personale #7 · Varsel", "size": "Small",
                  "isSubtle": true, "wrap": true}]}}]}
          """))
  }

  /// A message asking for confirmation: the card's one action opens the
  /// reader's confirmation page (Action.OpenUrl; Workflows cards take no
  /// Action.Submit), and the body carries no link line.
  @Test func aTeamsCardConfirmsByAButtonToTheReadersPage() async throws {
    var message = Self.message("da", "Besøgsforbud", "Fra kl. 12 er der besøgsforbud.")
    message.confirmation = ConfirmationRequest()
    let links = ConfirmLinks(key: [UInt8](repeating: 7, count: 32), publicURL: "https://c.example")
    let delivery = Self.delivery("teams", "", language: "da")
    let post = try await Self.send(delivery, message, links: links)
    let actions = try Self.cardActions(post)
    #expect(
      actions == [
        [
          "type": "Action.OpenUrl", "title": "Bekræft, at du har læst den",
          "url": links.url(for: delivery.id) + "?via=teams",
        ]
      ])
    // The URL once: in the action, not in the text.
    #expect(
      String(decoding: post.bodyBytes, as: UTF8.self).split(separator: "https://c.example").count
        == 2)
  }

  /// An approval notice: the card's one action opens the approver's
  /// decision page (`/a/…`, not the confirmation page), titled to decide.
  @Test func aTeamsCardAsksAnApproverByAButtonToTheDecisionPage() async throws {
    var message = Self.message("da", "Til godkendelse: Vejen er spærret", "Mette har skrevet …")
    message.kind = .approval
    let links = ConfirmLinks(key: [UInt8](repeating: 7, count: 32), publicURL: "https://c.example")
    let delivery = Self.delivery("teams", "", language: "da")
    let post = try await Self.send(delivery, message, links: links)
    let actions = try Self.cardActions(post)
    #expect(
      actions == [
        [
          "type": "Action.OpenUrl", "title": "Godkend eller afvis",
          "url": links.approvalURL(for: delivery.id) + "?via=teams",
        ]
      ])
    // The approval token is no confirmation token, and the reverse.
    let token = try #require(links.approvalURL(for: delivery.id).split(separator: "/").last)
    #expect(links.delivery(fromApprovalToken: String(token)) == delivery.id)
    #expect(links.delivery(fromToken: String(token)) == nil)
    #expect(links.delivery(fromApprovalToken: links.token(for: delivery.id)) == nil)
  }

  /// The actions of the Adaptive Card a Teams post carries.
  static func cardActions(_ post: ReceivedPost) throws -> [[String: String]] {
    let card = try #require(
      ((try JSONSerialization.jsonObject(with: Data(post.bodyBytes)) as? [String: Any])?[
        "attachments"] as? [[String: Any]])?.first?["content"] as? [String: Any])
    return try #require(card["actions"] as? [[String: String]])
  }

  // MARK: Slack

  @Test func slackIsAnIncomingWebhookMessageWithEscapedBlocks() async throws {
    let message = Self.message("da", "Vand & varme", "Ingen <varme> til kl. 18 🥶")
    let post = try await Self.send(Self.delivery("slack", "", language: "da"), message)
    #expect(post.path == "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX")
    #expect(post.header("content-type") == "application/json")
    #expect(
      try Self.canonical(post.bodyBytes)
        == Self.canonical(
          """
          {"text": "Vand &amp; varme\\n\\nVarsel · Personale #7 · 25.11.2026 kl. 13:05\\n\\nIngen &lt;varme&gt; til kl. 18 🥶",
           "blocks": [
             {"type": "header", "text": {"type": "plain_text", "text": "Vand &amp; varme"}},
             {"type": "section", "text": {"type": "mrkdwn",
              "text": "Varsel · Personale #7 · 25.11.2026 kl. 13:05\\n\\nIngen &lt;varme&gt; til kl. 18 🥶"}},
             {"type": "context", "elements": [{"type": "mrkdwn", "text": "Personale #7 · Varsel"}]}]}
          """))
  }

  // MARK: Template

  @Test func templateEscapesEveryValueForJSONAndAuthenticatesWithBearer() async throws {
    let message = Self.message("da", "Vand \"afbrudt\"", "Kog vandet\\før brug.")
    let post = try await Self.send(Self.delivery("gateway", "+4520000005", language: "da"), message)
    #expect(post.path == "/send")
    #expect(post.header("authorization") == "Bearer gateway-t0ken")
    #expect(
      try Self.canonical(post.bodyBytes)
        == Self.canonical(
          #"""
          {"to": "+4520000005", "ref": "dlv_01KAXE3M2V0000000000000001", "parts": 1,
           "text": "[Personale #7] Vand \"afbrudt\"\nKog vandet\\før brug."}
          """#))
  }
}
