import CommsCore
import Foundation
import Testing

extension EndToEnd.Console {
  /// Signing in through the municipality's identity provider: a real
  /// OpenID Connect provider on loopback (django-oidc-provider), the
  /// console's button, the provider's own login form, the code with PKCE
  /// traded for an ID token whose signature and nonce the console checks,
  /// and the person's groups mapped to `[[operators]] idp_group`. Someone
  /// the provider knows but no entry names is refused, and both are in the
  /// audit log.
  @Test(.timeLimit(.minutes(3)))
  func aPersonSignsInThroughTheIdentityProvider() async throws {
    try await withWorkspace { workspace in
      let port = try freePort()
      let secret = ConsoleSession.randomToken()
      let provider = try await Self.startProvider(
        workspace,
        arguments: [
          "--client-id", "commsd", "--client-secret", secret,
          "--redirect-uri", "http://127.0.0.1:\(port)/console/oidc/callback",
          "--user", "anna:anna-hemmelig-1:Anna Berg:krisestab,ledelse",
          "--user", "bo:bo-hemmelig-2:Bo Holm:kantine",
        ])
      try secret.write(
        toFile: workspace.directory + "/oidc-secret", atomically: true, encoding: .utf8)
      let console = """
        [console.oidc]
        issuer = "http://127.0.0.1:\(provider)/openid"
        client_id = "commsd"
        client_secret_file = "oidc-secret"
        redirect_url = "http://127.0.0.1:\(port)/console/oidc/callback"
        label = "Log ind med Eksempel Kommune"

        [[operators]]
        idp_group = "krisestab"
        audiences = ["*"]
        max_priority = "flash"
        rights = ["send", "cancel", "approve", "inbox"]

        [[operators]]
        user = "root"
        audiences = ["*"]
        rights = ["audit"]

        """
      let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
      try workspace.writeConfig(
        smtpPort: nil, httpPort: http.port,
        recipients: recipient("s1", "Sofie", audiences: ["staff"], contacts: ["hook:s1"]),
        extra: Workspace.apiSection(port: port, tokens: []) + "[console]\n\n" + console)
      let client = APIClient(base: "http://127.0.0.1:\(port)")
      _ = try await workspace.startDaemonWithAPI(client)

      let shots =
        ProcessInfo.processInfo.environment["COMMSD_CONSOLE_SHOTS"]
        ?? workspace.directory + "/screenshots"
      func signIn(_ user: String, _ name: String) async throws -> [String: Any] {
        let run = try await runCommand(
          "/usr/bin/env",
          [
            "python3", Paths.repository + "/Tests/Browser/oidc_sign_in.py",
            "--base", "http://127.0.0.1:\(port)", "--shots", shots, "--user", user,
            "--name", name,
          ], timeout: .seconds(90))
        #expect(run.status == 0, "\(run.stderr)")
        return (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any]
          ?? [:]
      }

      let anna = try await signIn("anna:anna-hemmelig-1", "oidc")
      #expect(anna["button"] as? String == "Log ind med Eksempel Kommune")
      #expect((anna["provider_url"] as? String)?.hasPrefix("http://127.0.0.1:\(provider)/") == true)
      #expect(anna["heading"] as? String == "Overblik", "\(anna)")
      #expect((anna["signed_in_as"] as? String)?.contains("anna") == true)
      #expect((anna["nav"] as? [String])?.contains("Ny besked") == true, "\(anna)")
      #expect(anna["signed_out"] as? Bool == true)

      let bo = try await signIn("bo:bo-hemmelig-2", "oidc-refused")
      #expect((bo["alert"] as? String)?.contains("ingen rettigheder") == true, "\(bo)")
      #expect((bo["nav"] as? [String]) == [])

      let export = try await workspace.commsd(["audit", "export", "--since", "1h"])
      #expect(export.status == 0, "\(export.stderr)")
      let events = try export.stdout.split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
      }
      let signedIn = try #require(
        events.first { $0["kind"] as? String == "account.signed_in" })
      #expect(signedIn["actor"] as? String == "console:anna")
      let detail = signedIn["detail"] as? [String: String] ?? [:]
      #expect(detail["via"] == "oidc" && detail["groups"] == "krisestab,ledelse", "\(detail)")
      #expect(
        events.contains {
          $0["kind"] as? String == "account.signed_out"
            && $0["actor"] as? String == "console:anna@127.0.0.1"
        })
      let refused = try #require(
        events.first { $0["kind"] as? String == "account.sign_in_refused" })
      #expect(refused["actor"] as? String == "console:bo")
      #expect((refused["detail"] as? [String: String])?["reason"]?.contains("idp_group") == true)
    }
  }

  /// Starts the loopback identity provider; returns its port.
  static func startProvider(_ workspace: Workspace, arguments: [String]) async throws -> Int {
    let portFile = workspace.directory + "/oidc-provider.port"
    let child = try workspace.start(
      name: "oidc-provider", executable: "/usr/bin/env",
      arguments: [
        "python3", Paths.repository + "/Tests/Receivers/oidc_provider.py", "--port", "0",
        "--port-file", portFile, "--data", workspace.directory + "/oidc-provider",
      ] + arguments)
    try await eventually(timeout: .seconds(60), "the identity provider to listen (\(child.output))")
    {
      FileManager.default.fileExists(atPath: portFile) || !child.isRunning
    }
    guard let text = try? String(contentsOfFile: portFile, encoding: .utf8),
      let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    else { throw TestFailure("the identity provider did not start: \(child.output)") }
    return port
  }
}
