import CommsCore
import Crypto
import Foundation
import PostgresTestSupport
import Testing

extension EndToEnd {
  /// Issue 19: "reached" means the phone got it. A fake GatewayAPI takes
  /// three SMS and calls back as GatewayAPI documents it (a JWT-signed DSN
  /// to the callback_url of each SMS), by an independent Python script.
  @Suite struct Receipts {
    static let webhookToken = "gw-webhook-t0ken"

    @Test func handsetReceiptsDecideWhoWasReachedAndTheRestFallBackOrTimeOut() async throws {
      try await withWorkspace { workspace in
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        let gateway = workspace.adopt(try await Self.fakeGateway(workspace))
        let port = try freePort()
        let endpoint = try Self.receiptEndpoint(
          workspace, gateway: gateway, callbackPort: port, extra: "receipt_timeout = \"10s\"")
        let recipients = [
          recipient("a", "Anne", audiences: ["relatives"], contacts: ["gw:+4520000001"]),
          recipient(
            "b", "Bo", audiences: ["relatives"], contacts: ["gw:+4520000002", "bo@kommune.test"]),
          recipient("c", "Cecilie", audiences: ["relatives"], contacts: ["gw:+4520000003"]),
        ].joined()
        let monitor = TestToken(name: "monitor", audiences: ["relatives"], readOnly: true)
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: nil, recipients: endpoint + recipients,
          extra: Workspace.apiSection(port: port, tokens: [monitor]))
        let client = APIClient(base: "http://127.0.0.1:\(port)")
        _ = try await workspace.startDaemonWithAPI(client)
        let id = try await workspace.send([
          "--audience", "relatives", "--priority", "urgent", "--subject", "Besøg",
          "--body", "Besøg igen fra mandag.",
        ])
        // The gateway took all three: sent, not delivered.
        var status = try await workspace.status(id)
        try await eventually(timeout: .seconds(20), "three SMS sent: \(status.counts)") {
          status = try await workspace.status(id)
          return status.counts == ["sent": 3]
        }
        #expect(gateway.webhooks.count == 3)

        // A forged callback is refused and audited; nothing moves.
        let forged = try await Self.callBack(
          workspace, gateway, badSignature: true, ["4520000001=DELIVERED"])
        #expect(forged.contains("4520000001 DELIVERED -> HTTP 401"), "\(forged)")
        #expect(try await workspace.status(id).counts == ["sent": 3])

        // DELIVERED for A, UNDELIVERABLE twice for B (a provider repeats), nothing for C.
        let posted = try await Self.callBack(
          workspace, gateway, ["4520000001=DELIVERED", "4520000002=UNDELIVERABLE,UNDELIVERABLE"])
        #expect(
          posted.contains(#"4520000001 DELIVERED -> HTTP 200 {"outcome":"delivered"}"#), "\(posted)"
        )
        #expect(
          posted.contains(#"4520000002 UNDELIVERABLE -> HTTP 200 {"outcome":"undeliverable"}"#),
          "\(posted)")
        #expect(
          posted.contains(#"4520000002 UNDELIVERABLE -> HTTP 200 {"outcome":"repeated"}"#),
          "\(posted)")

        try await eventually(timeout: .seconds(20), "B's email fallback: \(status.counts)") {
          status = try await workspace.status(id)
          return status.counts == ["delivered": 2, "undeliverable": 1, "sent": 1]
        }
        let byContact = Dictionary(uniqueKeysWithValues: status.deliveries.map { ($0.contact, $0) })
        #expect(byContact["gw:+4520000001"]?.state == "delivered")
        #expect(byContact["gw:+4520000001"]?.deliveredAt != nil)
        #expect(byContact["gw:+4520000002"]?.state == "undeliverable")
        #expect(byContact["gw:+4520000002"]?.lastError?.contains("UNDELIVERABLE 0x1010") == true)
        #expect(byContact["bo@kommune.test"]?.state == "delivered")
        #expect(smtp.emails.count == 1)
        #expect(byContact["gw:+4520000003"]?.state == "sent")

        // C's receipt never comes: unconfirmed after receipt_timeout (10 s).
        try await eventually(timeout: .seconds(30), "C unconfirmed: \(status.counts)") {
          status = try await workspace.status(id)
          return status.counts["unconfirmed"] == 1
        }

        // A receipt for no delivery commsd knows: 200, and on record.
        let token = GatewayAPIReceiptToken.make(
          claims: [
            "id": 1, "msisdn": 4_520_000_009, "time": Int(Date().timeIntervalSince1970),
            "status": "DELIVERED", "userref": "dlv_unknown",
          ], secret: Self.webhookToken)
        let unknown = try await client.call(
          "POST", "/v1/receipts/gw", json: #"{"id": 1}"#, headers: ["X-Gwapi-Signature": token])
        #expect(unknown.status == 200 && unknown.json["outcome"] as? String == "unmatched")
        // What monitoring sees: receipts by result, and how long the handset took.
        let metrics = try await client.call("GET", "/metrics", token: monitor.token).text
        for line in [
          #"commsd_receipts_total{endpoint="gw",outcome="delivered"} 1"#,
          #"commsd_receipts_total{endpoint="gw",outcome="undeliverable"} 1"#,
          #"commsd_receipts_total{endpoint="gw",outcome="repeated"} 1"#,
          #"commsd_receipts_total{endpoint="gw",outcome="unmatched"} 1"#,
          #"commsd_receipt_latency_seconds_count{endpoint="gw",result="delivered"} 1"#,
          #"commsd_receipt_latency_seconds_count{endpoint="gw",result="undeliverable"} 1"#,
        ] {
          #expect(metrics.contains(line + "\n"), "\(line) in \(metrics)")
        }
        let audit = try await workspace.commsd(["audit", "export", "--since", "1h"])
        #expect(audit.stdout.contains("receipt.unmatched"), "\(audit.stderr)")
        // The forged callback is on record as a refused request to the receipts route.
        let refused = audit.stdout.split(separator: "\n").filter {
          $0.contains("request.refused") && $0.contains("/v1/receipts/")
        }
        #expect(!refused.isEmpty, "\(audit.stdout.suffix(3000))")
        #expect(audit.stdout.contains("receipt.delivered"))
        #expect(audit.stdout.contains("delivery.unconfirmed"))
        // The after-action report never counts a gateway's word as reached.
        let report = try await workspace.commsd(["audit", "report", id, "--format", "csv"])
        #expect(report.status == 0, "\(report.stderr)")
        let rows = report.stdout.split(separator: "\n").map {
          $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        let header = rows.first.map { $0.map(String.init) } ?? []
        let values = rows.dropFirst().first.map { $0.map(String.init) } ?? []
        let figures = Dictionary(zip(header, values), uniquingKeysWith: { first, _ in first })
        #expect(figures["recipients"] == "3" && figures["reached"] == "2", "\(report.stdout)")
        #expect(figures["reached_by_handset"] == "1" && figures["reached_by_fallback"] == "1")
        #expect(figures["unconfirmed"] == "1" && figures["unreachable"] == "0")
        let verify = try await workspace.commsd(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
      }
    }

    /// Two nodes on PostgreSQL: the same receipts posted to both at once
    /// (providers repeat; a load balancer picks any node) move each delivery
    /// exactly once, and B's fallback is made once.
    @Test func receiptsToEitherNodeMoveEachDeliveryExactlyOnce() async throws {
      try await withWorkspace { workspace in
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        let gateway = workspace.adopt(try await Self.fakeGateway(workspace))
        let database = try TestPostgres.freshDatabase()
        defer { TestPostgres.drop(database) }
        let ports = [try freePort(), try freePort()]
        let endpoint = try Self.receiptEndpoint(
          workspace, gateway: gateway, callbackPort: ports[0])
        let recipients = [
          recipient("a", "Anne", audiences: ["relatives"], contacts: ["gw:+4520000001"]),
          recipient(
            "b", "Bo", audiences: ["relatives"], contacts: ["gw:+4520000002", "bo@kommune.test"]),
        ].joined()
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: nil, recipients: endpoint + recipients,
          extra: "store = \"\(database)\"\n[api]\nlisten = \"127.0.0.1:\(ports[0])\"\n")
        let text = try String(contentsOfFile: workspace.configPath, encoding: .utf8)
        let second = workspace.directory + "/node2.toml"
        try text.replacingOccurrences(of: "data_dir = \"var\"", with: "data_dir = \"var2\"")
          .replacingOccurrences(
            of: "listen = \"127.0.0.1:\(ports[0])\"", with: "listen = \"127.0.0.1:\(ports[1])\""
          )
          .write(toFile: second, atomically: true, encoding: .utf8)
        let clients = ports.map { APIClient(base: "http://127.0.0.1:\($0)") }
        let nodes = [
          try workspace.startDaemon(name: "node1"),
          try workspace.startDaemon(name: "node2", config: second),
        ]
        for client in clients {
          try await eventually(timeout: .seconds(30), "\(client.base) to be ready") {
            (try? await client.call("GET", "/readyz"))?.status == 200
          }
        }
        let id = try await workspace.send([
          "--audience", "relatives", "--priority", "urgent", "--subject", "Besøg",
          "--body", "Besøg igen fra mandag.",
        ])
        var status = try await workspace.status(id)
        try await eventually(timeout: .seconds(30), "two SMS sent: \(status.counts)") {
          status = try await workspace.status(id)
          return status.counts == ["sent": 2]
        }
        // The same receipts to both nodes at once.
        let plan = ["4520000001=DELIVERED", "4520000002=UNDELIVERABLE"]
        async let toFirst = Self.callBack(workspace, gateway, plan)
        async let toSecond = Self.callBack(
          workspace, gateway, plan, to: "http://127.0.0.1:\(ports[1])")
        let lines = (try await toFirst) + (try await toSecond)
        #expect(lines.components(separatedBy: "-> HTTP 200").count - 1 == 4, "\(lines)")
        #expect(
          lines.contains(#""outcome":"delivered""#) && lines.contains(#""outcome":"undeliverable""#)
        )
        #expect(lines.components(separatedBy: #""outcome":"repeated""#).count - 1 == 2, "\(lines)")
        try await eventually(timeout: .seconds(30), "B's email: \(status.counts)") {
          status = try await workspace.status(id)
          return status.counts == ["delivered": 2, "undeliverable": 1]
        }
        func count(_ sql: String) throws -> Int {
          Int(try TestPostgres.psql(database, sql).trimmingCharacters(in: .whitespacesAndNewlines))
            ?? -1
        }
        #expect(
          try count("SELECT count(*) FROM audit_events WHERE kind = 'receipt.delivered'") == 1)
        #expect(
          try count("SELECT count(*) FROM audit_events WHERE kind = 'receipt.undeliverable'") == 1)
        #expect(try count("SELECT count(*) FROM deliveries WHERE recipient_id = 'b'") == 2)
        #expect(smtp.emails.count == 1)
        for node in nodes { await node.stop() }
      }
    }

    /// Any other gateway (format `template`): its callbacks are read by the
    /// endpoint's `receipt_*` keys. One gateway calls back with a secret in
    /// the URL and JSON, the other with HTTP Basic and a form; a wrong
    /// token or password is 401 and moves nothing.
    @Test func aTemplateGatewaysReceiptsAreReadByItsMapping() async throws {
      try await withWorkspace { workspace in
        let gateway = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, name: "gateway", arguments: ["--status", "202"]))
        let port = try freePort()
        try #"{"to": "{{contact}}", "message": "{{text}}", "client_ref": "{{delivery_id}}"}"#
          .write(toFile: workspace.directory + "/sms.json", atomically: true, encoding: .utf8)
        let secret = "k7Gq2mVx9RtW4pLs"
        let endpoints = """
          [endpoints.json]
          format = "template"
          url = "http://127.0.0.1:\(gateway.port)/json"
          body_file = "sms.json"
          text = "sms"
          timeout = "5s"
          receipt_reference = "event.client_ref"
          receipt_status = "event.state"
          receipt_delivered = ["DELIVRD"]
          receipt_undeliverable = ["UNDELIV", "EXPIRED"]
          receipt_time = "event.done"
          receipt_error = "event.reason"
          receipt_secret = "\(secret)"

          [endpoints.form]
          format = "template"
          url = "http://127.0.0.1:\(gateway.port)/form"
          body_file = "sms.json"
          text = "sms"
          timeout = "5s"
          receipt_content_type = "application/x-www-form-urlencoded"
          receipt_reference = "ref"
          receipt_status = "stat"
          receipt_delivered = ["delivered"]
          receipt_undeliverable = ["failed"]
          receipt_user = "gateway"
          receipt_password = "pa55word"

          """
        let recipients = [
          recipient("a", "Anne", audiences: ["relatives"], contacts: ["json:+4520000001"]),
          recipient("b", "Bo", audiences: ["relatives"], contacts: ["json:+4520000002"]),
          recipient("c", "Cecilie", audiences: ["relatives"], contacts: ["form:+4520000003"]),
        ].joined()
        try workspace.writeConfig(
          smtpPort: nil, httpPort: nil, recipients: endpoints + recipients,
          extra: Workspace.apiSection(port: port, tokens: []))
        let client = APIClient(base: "http://127.0.0.1:\(port)")
        _ = try await workspace.startDaemonWithAPI(client)
        let id = try await workspace.send([
          "--audience", "relatives", "--subject", "Besøg", "--body", "Besøg igen fra mandag.",
        ])
        var status = try await workspace.status(id)
        try await eventually(timeout: .seconds(20), "three SMS sent: \(status.counts)") {
          status = try await workspace.status(id)
          return status.counts == ["sent": 3]
        }
        // The delivery ids, as the gateway got them in its client reference.
        var reference: [String: String] = [:]
        for hook in gateway.webhooks {
          if let to = hook.payload["to"] as? String, let ref = hook.payload["client_ref"] as? String
          {
            reference[to] = ref
          }
        }
        #expect(reference.count == 3, "\(gateway.webhooks.map(\.body))")
        func json(_ to: String, _ state: String) -> String {
          #"{"event": {"client_ref": "\#(reference[to] ?? "")", "state": "\#(state)", "done": "2026-12-03T06:00:00+01:00", "reason": "absent subscriber"}}"#
        }

        // The JSON gateway: a wrong token is refused, the right one is read.
        let jsonType = ["Content-Type": "application/json"]
        let forged = try await callBack(
          port, "/v1/receipts/json?token=wrong", json("+4520000001", "DELIVRD"), jsonType)
        #expect(forged.status == 401)
        #expect(try await workspace.status(id).counts == ["sent": 3])
        let delivered = try await callBack(
          port, "/v1/receipts/json?token=\(secret)", json("+4520000001", "DELIVRD"), jsonType)
        #expect(delivered.status == 200 && delivered.outcome == "delivered")
        let failed = try await callBack(
          port, "/v1/receipts/json?token=\(secret)", json("+4520000002", "EXPIRED"), jsonType)
        #expect(failed.outcome == "undeliverable", "\(failed)")

        // The form gateway: Basic, challenged when absent, refused when wrong.
        let form = "ref=\(reference["+4520000003"] ?? "")&stat=delivered"
        let unchallenged = try await callBack(port, "/v1/receipts/form", form, [:])
        #expect(unchallenged.status == 401)
        #expect(unchallenged.challenge?.hasPrefix("Basic realm=") == true, "\(unchallenged)")
        func basic(_ password: String) -> [String: String] {
          [
            "Authorization": "Basic " + Data("gateway:\(password)".utf8).base64EncodedString(),
            "Content-Type": "application/x-www-form-urlencoded",
          ]
        }
        let wrong = try await callBack(port, "/v1/receipts/form", form, basic("guess"))
        #expect(wrong.status == 401)
        let right = try await callBack(port, "/v1/receipts/form", form, basic("pa55word"))
        #expect(right.status == 200 && right.outcome == "delivered")

        status = try await workspace.status(id)
        let byContact = Dictionary(uniqueKeysWithValues: status.deliveries.map { ($0.contact, $0) })
        #expect(byContact["json:+4520000001"]?.state == "delivered")
        // The provider's time, not the arrival's.
        #expect(
          byContact["json:+4520000001"]?.deliveredAt == Date(timeIntervalSince1970: 1_796_274_000))
        #expect(byContact["json:+4520000002"]?.state == "undeliverable")
        #expect(byContact["json:+4520000002"]?.lastError == "EXPIRED absent subscriber")
        #expect(byContact["form:+4520000003"]?.state == "delivered")
        let audit = try await workspace.commsd(["audit", "export", "--since", "1h"])
        #expect(
          audit.stdout.split(separator: "\n").filter {
            $0.contains("request.refused") && $0.contains("/v1/receipts/")
          }.count == 3, "\(audit.stdout.suffix(2000))")
        #expect(!audit.stdout.contains(secret), "the URL's secret stays out of the audit log")
      }
    }

    /// What a provider's callback got back.
    struct CallBackAnswer {
      var status: Int
      var challenge: String?
      var outcome: String?
    }

    /// A provider's callback, made with curl: Foundation's URLSession on
    /// Linux waits on a 401 with a Basic challenge instead of returning it.
    func callBack(_ port: Int, _ path: String, _ body: String, _ headers: [String: String])
      async throws -> CallBackAnswer
    {
      var arguments = ["-s", "-i", "--max-time", "10", "-X", "POST", "--data-binary", body]
      for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
      let result = try await runCommand(
        "/usr/bin/curl", arguments + ["http://127.0.0.1:\(port)\(path)"])
      let lines = result.stdout.split(separator: "\r\n", omittingEmptySubsequences: false)
      let status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
      let challenge = lines.first { $0.lowercased().hasPrefix("www-authenticate:") }
        .map { $0.dropFirst("www-authenticate:".count).trimmingCharacters(in: .whitespaces) }
      let body = lines.last.map { Data($0.utf8) } ?? Data()
      let json = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
      return CallBackAnswer(
        status: status ?? 0, challenge: challenge, outcome: json?["outcome"] as? String)
    }

    /// A fake GatewayAPI: answers 200 with a message id, records each SMS.
    static func fakeGateway(_ workspace: Workspace) async throws -> Receiver {
      try await Receiver.http(
        directory: workspace.directory, name: "gatewayapi",
        arguments: ["--status", "200", "--answer-body", #"{"ids": [421332671], "usage": {}}"#])
    }

    /// `[endpoints.gw]` on `gateway` (Channels.gatewayEndpoint), calling back
    /// to the API on `callbackPort` with receipts signed by `webhookToken`.
    static func receiptEndpoint(
      _ workspace: Workspace, gateway: Receiver, callbackPort: Int, extra: String = ""
    ) throws -> String {
      try Channels.gatewayEndpoint(
        workspace, port: gateway.port,
        extra: """
          callback_url = "http://127.0.0.1:\(callbackPort)/v1/receipts/gw"
          receipt_secret = "\(webhookToken)"
          \(extra)
          """) + "\n"
    }

    /// Runs the fake gateway's callbacks for what it recorded; returns their lines.
    static func callBack(
      _ workspace: Workspace, _ gateway: Receiver, badSignature: Bool = false, _ plan: [String],
      to base: String? = nil
    ) async throws -> String {
      var arguments = [
        (Paths.receivers as NSString).appendingPathComponent("gatewayapi_dsn.py"),
        "--record", gateway.recordPath, "--secret", webhookToken,
      ]
      for entry in plan { arguments += ["--plan", entry] }
      if badSignature { arguments.append("--bad-signature") }
      if let base { arguments += ["--to", base] }
      let result = try await runCommand("/usr/bin/env", ["python3"] + arguments)
      #expect(result.status == 0, "\(result.stderr)")
      return result.stdout
    }
  }
}

/// A GatewayAPI-style JWT made here (HS256), for a receipt the fake gateway
/// would never send (an unknown reference).
enum GatewayAPIReceiptToken {
  static func make(claims: [String: Any], secret: String) -> String {
    func encode(_ data: Data) -> String {
      data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
    let header = encode(Data(#"{"typ":"JWT","alg":"HS256"}"#.utf8))
    let payload = encode((try? JSONSerialization.data(withJSONObject: claims)) ?? Data())
    let mac = HMAC<SHA256>.authenticationCode(
      for: Data("\(header).\(payload)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
    return "\(header).\(payload).\(encode(Data(mac)))"
  }
}
