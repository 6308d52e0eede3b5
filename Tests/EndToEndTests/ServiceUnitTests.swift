import Foundation
import Testing

extension EndToEnd {
  /// `config/commsd.service` as systemd reads it, where `systemd-analyze`
  /// is installed (Debian's systemd package has it).
  @Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
  struct ServiceUnit {
    static let unit = Paths.repository + "/config/commsd.service"

    /// The unit with its commands pointing at the built binary, since
    /// `verify` checks that they exist.
    static func unitForThisBuild(in directory: String) throws -> String {
      let text = try String(contentsOfFile: unit, encoding: .utf8)
        .replacingOccurrences(of: "/usr/local/bin/commsd", with: Paths.commsd)
      let path = directory + "/commsd.service"
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }

    @Test func systemdAnalyzeVerifyPasses() async throws {
      try await withWorkspace { workspace in
        let path = try Self.unitForThisBuild(in: workspace.directory)
        let result = try await runCommand("/usr/bin/systemd-analyze", ["verify", path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
      }
    }

    @Test func theSecurityRatingIsTwoOrBetter() async throws {
      let result = try await runCommand(
        "/usr/bin/systemd-analyze", ["security", "--offline=yes", Self.unit])
      let line = try #require(
        result.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") })
      let number = line.split(separator: " ").compactMap { Double($0) }.first
      let exposure = try #require(number, "\(line)")
      #expect(exposure <= 2.0, "\(line)")
    }

    @Test func theUnitSaysWhatTheIssueAsks() throws {
      let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
      for line in [
        "Type=notify", "Restart=on-failure", "User=commsd", "StateDirectory=commsd",
        "ConfigurationDirectory=commsd", "NoNewPrivileges=yes", "ProtectSystem=strict",
        "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=\n",
        "SystemCallFilter=@system-service", "ExecReload=",
      ] {
        #expect(text.contains(line), "\(line)")
      }
      #expect(text.contains("WatchdogSec=") && text.contains("RestrictAddressFamilies="))
    }
  }
}
