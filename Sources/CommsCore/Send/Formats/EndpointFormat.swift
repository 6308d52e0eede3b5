import Foundation

/// The language an endpoint's receiver speaks: commsd's own signed JSON,
/// an SMS gateway's send call, a Teams or Slack message, or a body template
/// for any other gateway. Configured as `[endpoints.NAME] format = …`.
///
/// A format only writes the request body and reads the answer; retries,
/// delivery ids, rates, breakers and `Retry-After` stay with the dispatcher.
/// Each provider's request is held to its public documentation by a golden
/// test (docs/providers/REFERENCE.md has the sources).
public enum EndpointFormat: Sendable, Hashable {
  /// `commsd.message.v1`, signed with Standard Webhooks.
  case commsd
  /// GatewayAPI's REST send call (`POST /rest/mtsms`).
  case gatewayAPI(GatewayAPIFormat)
  /// Twilio's Messages call, form-encoded (many gateways copy it).
  case twilio(TwilioFormat)
  /// An Adaptive Card posted to a Teams Workflows URL.
  case teamsWorkflows
  /// A Slack incoming-webhook message with blocks.
  case slack
  /// An operator's Mustache body for any other JSON or form gateway.
  case template(TemplateFormat)

  /// The names `format = …` takes.
  public static let names = [
    "commsd", "gatewayapi", "twilio", "teams-workflows", "slack", "template",
  ]

  public var name: String {
    switch self {
    case .commsd: "commsd"
    case .gatewayAPI: "gatewayapi"
    case .twilio: "twilio"
    case .teamsWorkflows: "teams-workflows"
    case .slack: "slack"
    case .template: "template"
    }
  }

  /// Whether the reader gets an SMS: then the text is the SMS text (see
  /// `SMSText`), and contacts are phone numbers.
  public var sendsSMS: Bool {
    switch self {
    case .gatewayAPI, .twilio: true
    case .template(let format): format.text == .sms
    case .commsd, .teamsWorkflows, .slack: false
    }
  }

  /// Whether it is an operator's template (`format = "template"`).
  public var isTemplate: Bool {
    if case .template = self { return true }
    return false
  }

  /// Whether the URL itself is the credential (no other authentication):
  /// it is kept out of logs and audit, and `config check` says so.
  public var urlIsCredential: Bool {
    switch self {
    case .teamsWorkflows, .slack: true
    default: false
    }
  }

  /// The request body and its content type.
  func body(_ input: FormatInput) -> (contentType: String, body: [UInt8]) {
    switch self {
    case .commsd:
      let payload = WebhookPayload(
        delivery: input.delivery, message: input.message, audience: input.audience,
        rendered: input.rendered)
      return ("application/json", payload.encoded())
    case .gatewayAPI(let format): return ("application/json", format.body(input))
    case .twilio(let format): return ("application/x-www-form-urlencoded", format.body(input))
    case .teamsWorkflows: return ("application/json", TeamsWorkflowsFormat.body(input))
    case .slack: return ("application/json", SlackFormat.body(input))
    case .template(let format): return (format.contentType, format.body(input))
    }
  }

  /// What the provider's answer means. Every format starts from the common
  /// rule (2xx delivered; 408, 429, 5xx and network trouble worth another
  /// try; other statuses final) and adds what its provider documents.
  /// The provider's own id for the message it took, from its 2xx answer:
  /// GatewayAPI's `ids[0]`, Twilio's `sid`; nil for the other formats.
  func providerReference(_ body: [UInt8]) -> String? {
    let answer = ProviderAnswer.object(body)
    let reference: String?
    switch self {
    case .gatewayAPI:
      reference = (answer?["ids"] as? [Any])?.first.map { "\($0)" }
    case .twilio:
      reference = answer?["sid"] as? String
    case .commsd, .teamsWorkflows, .slack, .template:
      reference = nil
    }
    // Kept short and printable: it is the provider's, and goes in the record.
    guard let reference, (1...64).contains(reference.count),
      reference.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline })
    else { return nil }
    return reference
  }

  func classify(_ response: CurlResponse, now: Date) -> AttemptResult {
    let common = WebhookTransport.classify(response, now: now)
    switch self {
    case .commsd, .teamsWorkflows, .template: return common
    case .gatewayAPI: return GatewayAPIFormat.classify(response, common: common)
    case .twilio: return TwilioFormat.classify(response, common: common)
    case .slack: return SlackFormat.classify(response, common: common)
    }
  }
}

/// Everything a format may put in a request for one delivery.
struct FormatInput {
  var delivery: Delivery
  var message: Message
  var audience: Audience?
  /// The subject and body this reader sees (audience template, mark).
  var rendered: RenderedMessage
  /// The SMS text, for a format that sends SMS.
  var sms: SMSRendering?
  /// The reader's confirmation page, for a card that confirms by a button.
  var confirmURL: String? = nil
  /// The contact's address as the endpoint takes it (a phone number in
  /// E.164 for an SMS format).
  var address: String { delivery.contact.address }

  /// The reader's audience name and bulletin, e.g. `Personale #12`, and the
  /// kind, e.g. `Varsel`: a card's small print.
  var context: String {
    let language = message.content(for: delivery.language).language
    let audienceName = audience?.displayName(in: language) ?? delivery.audience
    let numbered = delivery.bulletin > 0 ? "\(audienceName) #\(delivery.bulletin)" : audienceName
    return "\(numbered) · \(KindLabels.label(message.kind, language: language))"
  }

  /// The `[ØVELSE]`/`[TEST]` mark and the operator's subject, for a heading.
  var heading: String { Self.heading(message, language: delivery.language) }

  static func heading(_ message: Message, language: String) -> String {
    let subject = message.content(for: language).content.subject
    return message.mode.readerMark.map { "\($0) \(subject)" } ?? subject
  }
}

/// A provider's JSON answer, read leniently: only what a reason needs.
enum ProviderAnswer {
  /// The members of a JSON object body, or nil.
  static func object(_ body: [UInt8]) -> [String: Any]? {
    guard !body.isEmpty else { return nil }
    return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
  }

  /// A short text of an answer body for a reason: one line, at most 200
  /// characters, printable.
  static func text(_ body: [UInt8]) -> String? {
    let text = String(decoding: body.prefix(400), as: UTF8.self)
    let line = text.unicodeScalars.map {
      $0.properties.isWhitespace || $0.value < 0x20 ? " " : Character($0)
    }
    let cleaned = String(line).split(separator: " ").joined(separator: " ")
    return cleaned.isEmpty ? nil : String(cleaned.prefix(200))
  }

  /// `result` with `detail` after its reason.
  static func explained(_ result: AttemptResult, _ detail: String?) -> AttemptResult {
    guard let detail, !detail.isEmpty else { return result }
    switch result {
    case .delivered, .accepted: return result
    case .transient(let status, let reason, let retryAfter):
      return .transient(status: status, reason: "\(reason): \(detail)", retryAfter: retryAfter)
    case .permanent(let status, let reason):
      return .permanent(status: status, reason: "\(reason): \(detail)")
    }
  }

  /// JSON bytes of an `Encodable` body, as the project writes JSON
  /// (`JSONCoding`: sorted keys, slashes unescaped).
  static func json(_ value: some Encodable) -> [UInt8] {
    Array((try? JSONCoding.encoder().encode(value)) ?? Data("{}".utf8))
  }
}
