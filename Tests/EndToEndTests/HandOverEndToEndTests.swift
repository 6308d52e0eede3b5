import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// `commsd send` and `cancel` with the daemon running read only what they
  /// need to reach it: the daemon validates against its own configuration
  /// and directory. Without a daemon the CLI validates everything itself.
  @Suite struct HandOver {
    /// A workspace whose `staff` are in a CSV list, with a webhook receiver.
    static func listWorkspace(_ workspace: Workspace, httpPort: Int) throws -> String {
      let list = workspace.directory + "/staff.csv"
      try """
      id,name,audiences,contacts
      staff-1,Mette Hansen,staff,hook:mette
      staff-2,Søren Holm,staff,hook:soeren
      """.write(toFile: list, atomically: true, encoding: .utf8)
      try workspace.writeConfig(
        smtpPort: nil, httpPort: httpPort, recipients: "",
        extra: "recipient_lists = [\"staff.csv\"]")
      return list
    }

    static func startDaemon(_ workspace: Workspace) async throws {
      _ = try workspace.startDaemon()
      try await eventually(timeout: .seconds(20), "the intake socket") {
        FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
      }
    }

    @Test func sendReachesTheDaemonWhenTheCLICannotReadARecipientList() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let list = try Self.listWorkspace(workspace, httpPort: http.port)
        try await Self.startDaemon(workspace)
        // The daemon has its directory; the list is gone for the CLI (and a
        // reload of it is refused, so the daemon keeps the one it has).
        try FileManager.default.removeItem(atPath: list)
        let result = try await workspace.commsd([
          "send", "--audience", "staff", "--priority", "flash", "--subject", "Evakuering",
          "--body", "Forlad bygningen.",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let id = try #require(result.stdout.split(separator: "\n").first.map(String.init))
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["delivered": 2])
        #expect(
          Set(http.webhooks.map { $0.payload["contact"] as? String ?? "" }) == ["mette", "soeren"])

        let cancel = try await workspace.commsd(["cancel", id, "--reason", "Fejl", "--json"])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.stdout.contains("\"id\":\"\(id)\""), "\(cancel.stdout)")
      }
    }

    /// libcurl and libpq (and their chains: OpenSSL, Kerberos, LDAP, GnuTLS)
    /// are opened only by what uses them: the daemon sends with libcurl, while
    /// `send` and `status` start without either (about a quarter of their CPU
    /// at start, Benchmarks/NOTES.md). The dynamic loader's own trace
    /// (`LD_DEBUG=files`) lists every object a command opens.
    @Test func handingOverLoadsNeitherLibcurlNorLibpq() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        _ = try Self.listWorkspace(workspace, httpPort: http.port)
        try await Self.startDaemon(workspace)
        let trace = ["LD_DEBUG": "files"]
        let send = try await workspace.commsd(
          [
            "send", "--audience", "staff", "--priority", "flash", "--subject", "Hej", "--body", "x",
          ],
          environment: trace)
        #expect(send.status == 0, "\(send.stderr)")
        let id = try #require(send.stdout.split(separator: "\n").first.map(String.init))
        let status = try await workspace.commsd(["status", id], environment: trace)
        #expect(status.status == 0, "\(status.stderr)")
        for command in [send, status] {
          #expect(command.stderr.contains("file=libc.so.6"), "the loader traced nothing")
          #expect(!command.stderr.contains("libcurl"))
          #expect(!command.stderr.contains("libpq"))
        }
        // The daemon loaded libcurl when it first sent.
        #expect(try await workspace.waitUntilFinal(id).counts == ["delivered": 2])
        #expect(http.webhooks.count == 2)
      }
    }

    @Test(arguments: [0, 2])
    func theDaemonsRefusalsReachTheOperatorUnchanged(case index: Int) async throws {
      let refusal = BadInput.refusals[index]
      try await withWorkspace { workspace in
        let list = try Self.listWorkspace(workspace, httpPort: 9)
        try await Self.startDaemon(workspace)
        try FileManager.default.removeItem(atPath: list)
        let result = try await workspace.commsd(["send"] + refusal.arguments)
        #expect(result.status == refusal.status, "\(result.stderr)")
        #expect(result.stderr.contains(refusal.expected), "stderr was: \(result.stderr)")
        #expect(!result.stderr.contains("staff.csv"), "the CLI did not read the list")
        #expect(result.stdout.isEmpty)
      }
    }

    @Test func withoutADaemonTheCLIValidatesTheWholeConfiguration() async throws {
      try await withWorkspace { workspace in
        let list = try Self.listWorkspace(workspace, httpPort: 9)
        try FileManager.default.removeItem(atPath: list)
        let result = try await workspace.commsd([
          "send", "--audience", "staff", "--subject", "Hej", "--body", "x",
        ])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(
          result.stderr.contains(
            "\(workspace.configPath):3: recipient_lists: cannot read the recipient list \(list)"),
          "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sqlite"))
      }
    }

    @Test func aBrokenConfigurationIsNamedEvenWithTheDaemonRunning() async throws {
      try await withWorkspace { workspace in
        _ = try Self.listWorkspace(workspace, httpPort: 9)
        try await Self.startDaemon(workspace)
        let text = try String(contentsOfFile: workspace.configPath, encoding: .utf8)
        try text.replacingOccurrences(of: "data_dir = \"var\"", with: "data_dir = [\"var\"]")
          .write(toFile: workspace.configPath, atomically: true, encoding: .utf8)
        let result = try await workspace.commsd([
          "send", "--audience", "staff", "--subject", "Hej", "--body", "x",
        ])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(
          result.stderr.contains("\(workspace.configPath):1: data_dir: expected a string"),
          "\(result.stderr)")
      }
    }
  }
}
