import CommsCore
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension EndToEnd.Operator {
  /// `[[operators]]` over the intake socket: the kernel names the person
  /// (`SO_PEERCRED`), whatever the client claims. `nobody` may send to
  /// staff up to urgent; police and flash are refused with exit 65 naming
  /// the field, and both refusals are audited under the true identity;
  /// root may only read the audit log: its send and its cancel are refused
  /// (exit 65 naming operator), audited too.
  @Test func anOperatorSendsOnlyWithinTheirAudiencesAndPriority() async throws {
    let loginUID = try String(contentsOfFile: "/proc/self/loginuid", encoding: .utf8)
    try #require(
      loginUID.trimmingCharacters(in: .whitespacesAndNewlines) == "4294967295",
      "this test needs an unset login uid: with one, the person is the login user")
    try await withWorkspace { workspace in
      let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
      try workspace.writeConfig(
        smtpPort: nil, httpPort: http.port, recipients: Self.recipients,
        extra: """
          [[operators]]
          user = "nobody"
          audiences = ["staff"]
          max_priority = "urgent"
          [[operators]]
          user = "root"
          audiences = ["*"]
          rights = ["audit"]
          """)
      let daemon = try workspace.startDaemon()
      try await eventually(timeout: .seconds(30), "the intake socket") {
        FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
      }
      // The socket's group, so that nobody may use it (in production: the operators' group).
      #expect(chown(workspace.dataDirectory + "/commsd.sock", uid_t.max, 65534) == 0)
      func send(as user: String?, _ arguments: [String]) async throws -> CommandResult {
        let command =
          [
            Paths.commsd, "send", "--config", workspace.configPath, "--subject", "Vagt", "--body",
            "x",
          ]
          + arguments
        guard user != nil else {
          return try await runCommand(command[0], Array(command.dropFirst()))
        }
        return try await runCommand(
          "/usr/bin/setpriv",
          ["--reuid=65534", "--regid=65534", "--clear-groups"] + command,
          environment: ["SUDO_USER": "mette"])
      }
      let allowed = try await send(as: "nobody", ["--audience", "staff", "--priority", "urgent"])
      #expect(allowed.status == 0, "\(allowed.stderr)")
      let police = try await send(as: "nobody", ["--audience", "police"])
      #expect(police.status == 65)
      #expect(
        police.stderr.contains("audiences") && police.stderr.contains("police"), "\(police.stderr)")
      let flash = try await send(as: "nobody", ["--audience", "staff", "--priority", "flash"])
      #expect(flash.status == 65)
      #expect(
        flash.stderr.contains("priority") && flash.stderr.contains("at most urgent"),
        "\(flash.stderr)")
      let root = try await send(as: nil, ["--audience", "staff"])
      #expect(
        root.status == 65 && root.stderr.contains("root lacks the right \"send\""),
        "\(root.stderr)")
      // Root may read the audit log but not cancel: the commands that
      // write the store themselves keep the rights too.
      let sent = try #require(allowed.stdout.split(separator: "\n").first.map(String.init))
      let cancel = try await workspace.commsd(["cancel", sent, "--reason", "Fejl"])
      #expect(
        cancel.status == 65 && cancel.stderr.contains("operator: root lacks the right \"cancel\""),
        "\(cancel.stderr)")

      // A reload that takes nobody's entry away takes the right away, without a restart.
      let config = try String(contentsOfFile: workspace.configPath, encoding: .utf8)
      try config.replacingOccurrences(of: "user = \"nobody\"", with: "user = \"someone-else\"")
        .write(toFile: workspace.configPath, atomically: true, encoding: .utf8)
      kill(daemon.pid, SIGHUP)
      var revoked = CommandResult(status: 0, stdout: "", stderr: "")
      try await eventually(timeout: .seconds(10), "nobody's right revoked: \(revoked.stderr)") {
        revoked = try await send(as: "nobody", ["--audience", "staff", "--priority", "urgent"])
        return revoked.status == 65
      }
      #expect(revoked.stderr.contains("nobody is not an operator"), "\(revoked.stderr)")

      let export = try await workspace.commsd(["audit", "export", "--since", "1h"])
      let refused = export.stdout.split(separator: "\n").filter {
        $0.contains("\"request.refused\"")
      }
      #expect(refused.count == 4, "\(export.stdout)")
      // The kernel's word, with the client's claim marked as one.
      #expect(
        refused.filter { $0.contains("cli:nobody (claims sudo by mette, unverified)@") }.count == 3,
        "\(refused)")
      #expect(refused.contains { $0.contains("\"field\":\"audiences\"") })
      #expect(refused.contains { $0.contains("\"field\":\"priority\"") })
      #expect(
        export.stdout.split(separator: "\n").contains {
          $0.contains("\"operator.refused\"") && $0.contains("cli:root@")
            && $0.contains("\"right\":\"cancel\"")
        }, "\(export.stdout)")
    }
  }
}
