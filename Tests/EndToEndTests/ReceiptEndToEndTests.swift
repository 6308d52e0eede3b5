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
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: nil, recipients: endpoint + recipients,
          extra: "[api]\nlisten = \"127.0.0.1:\(port)\"\n")
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
