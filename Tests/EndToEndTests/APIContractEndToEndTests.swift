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

      """

    @Test func theLiveAPIKeepsToItsOpenAPIDescription() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        // One token that may do everything, so no route stops at its scope.
        let token = TestToken(
          name: "contract", audiences: Self.audiences, maxPriority: "flash", audit: true)
        let port = try freePort()
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port, recipients: Self.recipients,
          extra: Workspace.apiSection(port: port, tokens: [token], more: Self.hooksAndCAP))
        let client = APIClient(base: "http://127.0.0.1:\(port)")
        let daemon = try await workspace.startDaemonWithAPI(client)

        let script = Paths.repository + "/Tests/Support/api-contract.sh"
        let spec = Paths.repository + "/docs/openapi.json"
        let started = ContinuousClock.now
        let result = try await runCommand(
          "/usr/bin/env",
          [
            "API_CONTRACT_HOOK_SECRET=\(Workspace.secret)",
            "API_CONTRACT_AUDIENCES=\(Self.audiences.joined(separator: ","))", "bash", script,
            client.base, token.token, spec,
          ], timeout: .seconds(270))
        let took = ContinuousClock.now - started
        print("api-contract.sh took \(took)")
        #expect(
          result.status == 0,
          "api-contract.sh exited \(result.status) after \(took):\n\(result.stdout)\n\(result.stderr)"
        )

        // Every route was reached past its refusals at least once (the
        // stateful phase follows each 202 to its message), so the response
        // schemas were checked against real answers, not only problems. A
        // supersede mostly finds its message cancelled or superseded by then
        // (422, 409); its 202 is the same answer as POST /v1/messages's.
        let metrics = try await client.call("GET", "/metrics", token: token.token).text
        for (method, path) in try Self.operations(spec) {
          let reached = path.hasSuffix("/supersede") ? ["2", "409", "422"] : ["2"]
          let answered = metrics.split(separator: "\n").contains { line in
            reached.contains { status in
              line.hasPrefix(
                "commsd_api_requests_total{route=\"\(path)\",method=\"\(method)\",status=\"\(status)"
              )
            }
          }
          #expect(answered, "no \(reached) answer for \(method) \(path):\n\(metrics)")
        }
        // What the run sent left the daemon up and its audit log whole.
        #expect(daemon.isRunning, "the daemon stopped: \(daemon.output)")
        let verify = try await workspace.commsd(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
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
