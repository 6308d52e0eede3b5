import Foundation

/// `commsd endpoints test NAME --contact ADDR`: one real request through an
/// endpoint's format and authentication, with a test message marked
/// `[TEST]`, and what the receiver answered. For an operator setting up a
/// gateway or a Teams channel: the answer shows at once whether the token,
/// the sender, the number or the URL is wrong.
public enum EndpointTest {
  public struct Outcome: Sendable {
    /// The request as sent (headers without their secrets).
    public var method = "POST"
    public var headers: [HTTPHeaderField]
    public var body: String
    /// What the answer means, as the format reads it.
    public var result: AttemptResult
    public var status: Int
    /// The answer's body, cut to 2,000 bytes.
    public var answer: String
  }

  public enum Failure: Error, CustomStringConvertible {
    case unknownEndpoint(String, known: [String])
    case badContact(String)
    case curl(String)

    public var description: String {
      switch self {
      case .unknownEndpoint(let name, let known):
        "no endpoint \"\(name)\" is configured (configured: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
      case .badContact(let reason): "--contact: \(reason)"
      case .curl(let reason): reason
      }
    }
  }

  /// Sends the test message to `contact` through `name`.
  public static func run(
    _ name: String, contact: String, configuration: Configuration, operatorName: String,
    now: Date = Date()
  ) async throws(Failure) -> Outcome {
    guard let endpoint = configuration.endpoints[name] else {
      throw .unknownEndpoint(name, known: configuration.endpoints.keys.sorted())
    }
    let parsed: Contact
    switch ContactParser.parse(
      "\(name):\(contact)", endpoints: ContactEndpoints(configuration.endpoints))
    {
    case .success(let value): parsed = value
    case .failure(let reason): throw .badContact(reason.description)
    }
    if let reason = CurlGlobal.unavailable { throw .curl(reason) }
    var generator = SystemRandomNumberGenerator()
    let language = configuration.defaultLanguage
    let message = Message(
      id: MessageID(rawValue: ULID.make("msg_", at: now, using: &generator)),
      idempotencyKey: nil, sender: Sender(kind: .cli, name: operatorName, origin: "endpoints test"),
      audiences: ["test"], priority: .urgent, kind: .process,
      contents: [
        language: MessageContent(
          subject: "Test af \(name)",
          body: "En prøve fra commsd af endepunktet \(name). Den kan ignoreres.")
      ],
      defaultLanguage: language, acceptedAt: now, mode: .test)
    let delivery = Delivery(
      id: DeliveryID(rawValue: ULID.make("dlv_", at: now, using: &generator)),
      messageID: message.id, recipientID: "endpoint-test", recipientName: operatorName,
      audience: "test", contact: parsed, contactIndex: 0, language: language, priority: .urgent,
      state: .sending, dueAt: now, createdAt: now)
    let prepared = WebhookTransport.request(
      for: delivery, message: message, endpoint: endpoint, audience: nil,
      rendered: DeliveryContent.render(delivery, message, audience: nil), now: now)
    guard case .transfer(let request) = prepared else {
      if case .finished(let result) = prepared {
        throw .badContact("\(result)")
      }
      throw .curl("no request could be made")
    }
    let engine = CurlEngine(maxConnections: 1)
    let response = await engine.perform(request)
    await engine.shutdown()
    var headers: [HTTPHeaderField] = []
    var body = ""
    if case .httpPost(_, let sent, let bytes) = request.payload {
      headers = sent.map { header in
        let secret = ["authorization", "webhook-signature"].contains(header.name.lowercased())
        return secret ? HTTPHeaderField(name: header.name, value: "(hidden)") : header
      }
      body = String(decoding: bytes, as: UTF8.self)
    }
    return Outcome(
      headers: headers, body: body,
      result: endpoint.format.classify(response, now: now), status: response.statusCode,
      answer: response.completed
        ? String(decoding: response.body.prefix(2000), as: UTF8.self)
        : response.errorMessage ?? "curl error \(response.curlCode)")
  }
}
