import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// The real daemon's HTTP API against docs/openapi.json: the document is
  /// valid OpenAPI, and schemathesis's generated requests (valid and
  /// invalid, and chains that follow a 202 to its message) get only
  /// documented answers, never a 5xx (Tests/Support/api-contract.sh).
  @Suite struct APIContract {
    static let audiences = ["staff", "relatives", "council", "police"]

    static let recipients = [
      recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"]),
      recipient("r1", "Jens Pedersen", audiences: ["relatives"], contacts: ["hook:r1"]),
      recipient("c1", "Lise Holm", audiences: ["council"], contacts: ["sms:+4520000001"]),
      recipient("p1", "Vagtchefen", audiences: ["police"], contacts: ["hook:p1"]),
    ].joined()

    /// A hook source `care-system` (the name the spec's examples use) whose
    /// templates always give a subject and a body, and CAP alerts to staff
    /// (so the spec's CAP example is sent).
    static let hooksAndCAP = """
      [hooks.care-system]
      secret = "\(Workspace.secret)"
      audiences = ["relatives"]
      priority = "normal"
      subject = "Plejesystemet: {{title}}"
      body = "Hændelse fra plejesystemet. {{text}}"

      [cap.audiences]
      default = ["staff"]

      [audiences.relatives.approval]
      approvers = ["p1"]
      not_sender = false

      """

    @Test func theLiveAPIKeepsToItsOpenAPIDescription() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        // One token that may do everything, so no route stops at its scope.
        let token = TestToken(
          name: "contract", audiences: Self.audiences, maxPriority: "flash",
          rights: ["send", "cancel", "approve", "audit", "inbox"])
        let port = try freePort()
        // A GatewayAPI endpoint with receipts, for /v1/receipts/{endpoint}.
        let gateway = """
          [endpoints.gw]
          format = "gatewayapi"
          url = "http://127.0.0.1:\(http.port)/rest/mtsms"
          token = "t"
          sender = "Kommunen"
          callback_url = "http://127.0.0.1:\(port)/v1/receipts/gw"
          receipt_secret = "gw-webhook-t0ken"

          """
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port, recipients: gateway + Self.recipients,
          extra: Workspace.apiSection(port: port, tokens: [token], more: Self.hooksAndCAP)
            + "[confirm]\npublic_url = \"http://127.0.0.1:\(port)\"\n")
        let client = APIClient(base: "http://127.0.0.1:\(port)")
        let daemon = try await workspace.startDaemonWithAPI(client)

        let script = Paths.repository + "/Tests/Support/api-contract.sh"
        let spec = Paths.repository + "/docs/openapi.json"
        func contract(seed: Int) async throws {
          let started = ContinuousClock.now
          let result = try await runCommand(
            "/usr/bin/env",
            [
              "API_CONTRACT_HOOK_SECRET=\(Workspace.secret)", "API_CONTRACT_SEED=\(seed)",
              "API_CONTRACT_RECEIPT_ENDPOINT=gw", "API_CONTRACT_RECEIPT_SECRET=gw-webhook-t0ken",
              "API_CONTRACT_AUDIENCES=\(Self.audiences.joined(separator: ","))",
              "API_CONTRACT_APPROVAL_AUDIENCE=relatives", "bash", script,
              client.base, token.token, spec,
            ], timeout: .seconds(270))
          let took = ContinuousClock.now - started
          print("api-contract.sh (seed \(seed)) took \(took)")
          #expect(
            result.status == 0,
            "api-contract.sh exited \(result.status) after \(took):\n\(result.stdout)\n\(result.stderr)"
          )
        }
        try await contract(seed: 20_261_125)
        // What the stateful phase reaches depends on the daemon's answers
        // (ids, timing), not only on the seed: in 2 of 4 runs on 2026-12-02
        // its one cancel of a real message drew an invalid reason (422), so
        // no cancel was answered 2xx. Then one more run with another seed,
        // against the same daemon, counts: every answer of both runs was
        // checked against the document all the same.
        let first = try await client.call("GET", "/metrics", token: token.token).text
        if try !Self.operations(spec).allSatisfy({ Self.answered($0.0, $0.1, in: first) }) {
          try await contract(seed: 20_261_126)
        }

        // Every route was reached past its refusals at least once (the
        // stateful phase follows each 202 to its message), so the response
        // schemas were checked against real answers, not only problems. A
        // supersede mostly finds its message cancelled or superseded by then
        // (422, 409); its 202 is the same answer as POST /v1/messages's.
        let metrics = try await client.call("GET", "/metrics", token: token.token).text
        for (method, path) in try Self.operations(spec) {
          #expect(
            Self.answered(method, path, in: metrics),
            "no past-refusal answer for \(method) \(path):\n\(metrics)")
        }
        // What the run sent left the daemon up and its audit log whole.
        #expect(daemon.isRunning, "the daemon stopped: \(daemon.output)")
        let verify = try await workspace.commsd(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
      }
    }

    /// Whether `/metrics` counts an answer past the refusals for `method
    /// path`: a 2xx; for a supersede also 409 or 422, since by then its
    /// message is mostly cancelled or superseded (its 202 is the same answer
    /// as POST /v1/messages's).
    static func answered(_ method: String, _ path: String, in metrics: String) -> Bool {
      let reached = path.hasSuffix("/supersede") ? ["2", "409", "422"] : ["2"]
      return metrics.split(separator: "\n").contains { line in
        reached.contains { status in
          line.hasPrefix(
            "commsd_api_requests_total{route=\"\(path)\",method=\"\(method)\",status=\"\(status)")
        }
      }
    }

    /// The (method, path) of every operation in the OpenAPI document at `spec`.
    static func operations(_ spec: String) throws -> [(String, String)] {
      let data = try Data(contentsOf: URL(fileURLWithPath: spec))
      let paths = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["paths"]
      return ((paths as? [String: [String: Any]]) ?? [:]).flatMap { path, item in
        item.keys.filter { ["get", "post", "put", "patch", "delete"].contains($0) }
          .map { ($0.uppercased(), path) }
      }
    }
  }
}
