import Foundation
import Testing

@testable import CommsCore

/// docs/openapi.json describes the server as it is: the same routes as
/// `APIServer.routes`, the same members of a message request, bearer auth
/// where the server asks for it, and problems for every refusal. Whether the
/// live server keeps to it is Tests/Support/api-contract.sh's work (run by
/// `EndToEnd.APIContract`).
@Suite struct OpenAPISpecTests {
  static let specPath: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }  // API/CommsCoreTests/Tests/<repo>
    return url.appendingPathComponent("docs/openapi.json").path
  }()

  static let methods: Set<String> = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
  ]

  /// The spec as JSON objects.
  static func spec() throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: specPath))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  /// Every operation: (method, path, operation object).
  static func operations() throws -> [(method: String, path: String, operation: [String: Any])] {
    let paths = try #require(try spec()["paths"] as? [String: Any])
    var result: [(String, String, [String: Any])] = []
    for (path, item) in paths {
      let item = try #require(item as? [String: Any], "\(path)")
      for (method, operation) in item where methods.contains(method) {
        result.append((method.uppercased(), path, try #require(operation as? [String: Any])))
      }
    }
    return result
  }

  struct Route: Hashable, CustomStringConvertible {
    var method: String
    var path: String
    var description: String { "\(method) \(path)" }
  }

  @Test func isOpenAPI31() throws {
    let spec = try Self.spec()
    #expect((spec["openapi"] as? String)?.hasPrefix("3.1.") == true)
  }

  @Test func listsExactlyTheServersRoutes() throws {
    let documented = Set(try Self.operations().map { Route(method: $0.method, path: $0.path) })
    let served = Set(APIServer.routes.map { Route(method: $0.method, path: $0.path) })
    #expect(served.count == APIServer.routes.count, "APIServer.routes lists a route twice")
    #expect(
      documented.subtracting(served).isEmpty,
      "in docs/openapi.json but not served: \(documented.subtracting(served).sorted { "\($0)" < "\($1)" })"
    )
    #expect(
      served.subtracting(documented).isEmpty,
      "served but not in docs/openapi.json: \(served.subtracting(documented).sorted { "\($0)" < "\($1)" })"
    )
  }

  @Test func bearerAuthExceptForHealthAndHooks() throws {
    let spec = try Self.spec()
    let global = try #require(spec["security"] as? [[String: Any]])
    #expect(global.count == 1 && global[0]["bearer"] != nil)
    let schemes = try #require(
      (spec["components"] as? [String: Any])?["securitySchemes"] as? [String: Any])
    let bearer = try #require(schemes["bearer"] as? [String: Any])
    #expect(bearer["type"] as? String == "http")
    #expect(bearer["scheme"] as? String == "bearer")
    // Hooks and receipts carry their own signatures (a source's, a gateway's).
    let open: Set<String> = [
      "/healthz", "/readyz", "/v1/hooks/{source}", "/v1/receipts/{endpoint}",
      "/v1/inbound/{endpoint}",
    ]
    for (method, path, operation) in try Self.operations() {
      let security = operation["security"] as? [Any]
      if open.contains(path) {
        #expect(security?.isEmpty == true, "\(method) \(path) should need no token")
      } else {
        #expect(security == nil, "\(method) \(path) should take the bearer token")
        #expect(Self.statuses(operation).contains("401"), "\(method) \(path) lacks its 401")
      }
    }
  }

  @Test func hooksTakeTheStandardWebhooksHeaders() throws {
    let operation = try #require(
      try Self.operations().first { $0.path == "/v1/hooks/{source}" }?.operation)
    let headers = (operation["parameters"] as? [[String: Any]] ?? [])
      .filter { $0["in"] as? String == "header" && $0["required"] as? Bool == true }
      .compactMap { $0["name"] as? String }
    #expect(Set(headers) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
  }

  /// The request schema's members are the ones `MessageRequestBody` reads,
  /// and nothing else is allowed.
  @Test func messageRequestMembersAreTheParsersMembers() throws {
    let schema = try Self.schema("MessageRequest")
    let properties = try #require(schema["properties"] as? [String: Any])
    #expect(Set(properties.keys) == MessageRequestBody.members)
    #expect(schema["additionalProperties"] as? Bool == false)
    // The texts, or a template that gives them.
    let alternatives = (schema["anyOf"] as? [[String: Any]] ?? []).map {
      Set($0["required"] as? [String] ?? [])
    }
    #expect(alternatives == [["audiences", "subject", "body"], ["template"]])
  }

  @Test func enumerationsMatchTheModel() throws {
    let request = try #require(try Self.schema("MessageRequest")["properties"] as? [String: Any])
    func values(_ property: Any?) -> Set<String> {
      Set(((property as? [String: Any])?["enum"] as? [Any] ?? []).compactMap { $0 as? String })
    }
    #expect(values(request["priority"]) == Set(Priority.allCases.map(\.rawValue)))
    #expect(
      values(request["kind"])
        == Set(MessageKind.allCases.map(\.rawValue)).subtracting([
          "retraction", "inquiry", "answer", "approval",
        ]))
    #expect(
      values(request["mode"]) == Set(MessageMode.allCases.map(\.rawValue)).subtracting(["system"]))
    let message = try #require(try Self.schema("Message")["properties"] as? [String: Any])
    #expect(values(message["kind"]) == Set(MessageKind.allCases.map(\.rawValue)))
    #expect(values(message["mode"]) == Set(MessageMode.allCases.map(\.rawValue)))
    let delivery = try #require(try Self.schema("Delivery")["properties"] as? [String: Any])
    #expect(values(delivery["state"]) == Set(DeliveryState.allCases.map(\.rawValue)))
    #expect(values(delivery["channel"]) == Set(Channel.allCases.map(\.rawValue)))
  }

  /// The response schemas name exactly the members the Codable types encode.
  @Test func responseSchemasMatchTheCodableTypes() throws {
    func keys(_ name: String) throws -> Set<String> {
      Set((try Self.schema(name)["properties"] as? [String: Any] ?? [:]).keys)
    }
    var status = MessageStatus(
      id: "msg_01KBX6QW1M8V7Y2D3E4F5G6H7J", priority: "urgent", kind: "update", subject: "s",
      audiences: ["staff"], sender: "api:x@127.0.0.1", acceptedAt: Date(),
      plannedAt: Date(), mode: "exercise", supersedes: "a", supersededBy: "b", expiresAt: Date(),
      cancelledAt: Date(), cancelReason: "r", retraction: "c", retractionOf: "d", counts: [:],
      bulletins: [:], recipients: .init(total: 0, reached: 0, unreachable: [], pending: 0),
      deliveries: [
        .init(
          id: "dlv_1", recipient: "r", recipientName: "n", audience: "staff", channel: "webhook",
          contact: "c", state: "held", attempts: 0, dueAt: Date(), lastStatus: 1, lastError: "e",
          deliveredAt: Date(), sentAt: Date(), receiptAt: Date(), bulletin: 1, language: "da",
          holdReason: "quiet hours", digest: "dlv_2", wave: 2)
      ])
    status.confirmation = ConfirmationSummary(
      deadline: Date(), confirmed: 1, late: 1, notConfirmed: [.init(id: "a", name: "A")],
      unreachable: [.init(id: "b", name: "B")], byWay: ["link": 1], medianSeconds: 1,
      p95Seconds: 2, responsesNeeded: 3,
      waves: [
        .init(number: 2, plannedAt: Date(), target: "@deputy", chased: 1, deliveries: 1)
      ], nextWaveAt: Date())
    status.notBefore = Date()
    status.template = "besoegsforbud"
    status.draft = "drf_01KBX6QW1M8V7Y2D3E4F5G6H7J"
    // Every member of an approval set, so the schema's keys are all seen.
    status.approvals = [
      try JSONCoding.decoder().decode(
        ApprovalRecord.self,
        from: Data(
          """
          {"message_id": "msg_01KBX6QW1M8V7Y2D3E4F5G6H7J", "audience": "citizens",
           "state": "approved", "approvers": [{"id": "p", "name": "P", "operator": "pol"}],
           "required": 1, "not_sender": true, "others_wait": true,
           "requested_at": "2026-12-03T10:00:00Z", "remind_at": "2026-12-03T10:05:00Z",
           "reminders": 1, "timeout_at": "2026-12-03T10:30:00Z",
           "timed_out_at": "2026-12-03T10:30:00Z", "on_timeout": "hold",
           "remind_every_seconds": 300, "decided_at": "2026-12-03T10:31:00Z",
           "decided_by": "p", "decided_via": "link", "reason": "ok",
           "votes": [{"audience": "citizens", "approver": "p", "decision": "approve",
                      "via": "link", "at": "2026-12-03T10:31:00Z", "reason": "ok"}]}
          """.utf8))
    ]
    let encoded = try #require(
      try JSONSerialization.jsonObject(with: JSONCoding.encoder().encode(status))
        as? [String: Any])
    let approval = try #require((encoded["approvals"] as? [[String: Any]])?.first)
    #expect(try keys("Approval") == Set(approval.keys))
    // GET /v1/messages/{id} leaves out the deliveries and adds links.
    #expect(try keys("Message") == Set(encoded.keys).subtracting(["deliveries"]).union(["links"]))
    let line = try #require((encoded["deliveries"] as? [[String: Any]])?.first)
    #expect(try keys("Delivery") == Set(line.keys))
    let reach = try #require(encoded["recipients"] as? [String: Any])
    #expect(try keys("Reach") == Set(reach.keys))
    let confirmation = try #require(encoded["confirmation"] as? [String: Any])
    #expect(try keys("ConfirmationSummary") == Set(confirmation.keys))
    let wave = try #require((confirmation["waves"] as? [[String: Any]])?.first)
    let waves = try #require(
      (try Self.schema("ConfirmationSummary")["properties"] as? [String: Any])?["waves"]
        as? [String: Any])
    #expect(
      Set(((waves["items"] as? [String: Any])?["properties"] as? [String: Any] ?? [:]).keys)
        == Set(wave.keys))
  }

  /// Every refusal is a problem document; a 500 is never promised.
  @Test func refusalsAreProblemsAndNo500IsListed() throws {
    let spec = try Self.spec()
    let shared = try #require(
      (spec["components"] as? [String: Any])?["responses"] as? [String: Any])
    for (method, path, operation) in try Self.operations() {
      let responses = try #require(operation["responses"] as? [String: Any])
      #expect(!responses.keys.contains { $0.hasPrefix("5") && $0 != "503" }, "\(method) \(path)")
      for (status, response) in responses where status.hasPrefix("4") || status.hasPrefix("5") {
        var response = try #require(response as? [String: Any])
        if let reference = response["$ref"] as? String {
          let name = String(reference.split(separator: "/").last ?? "")
          response = try #require(shared[name] as? [String: Any], "\(reference)")
        }
        let content = try #require(response["content"] as? [String: Any])
        #expect(
          Array(content.keys) == ["application/problem+json"], "\(method) \(path) \(status)")
      }
    }
  }

  static func statuses(_ operation: [String: Any]) -> Set<String> {
    Set((operation["responses"] as? [String: Any] ?? [:]).keys)
  }

  static func schema(_ name: String) throws -> [String: Any] {
    let spec = try spec()
    let schemas = try #require(
      (spec["components"] as? [String: Any])?["schemas"] as? [String: Any])
    return try #require(schemas[name] as? [String: Any], "no schema \(name)")
  }
}
