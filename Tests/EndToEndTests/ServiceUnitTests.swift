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
      // Operators stay themselves on the intake socket (no user namespace),
      // and idle clients cannot exhaust the descriptors.
      #expect(!text.contains("\nPrivateUsers=yes"))
      #expect(text.contains("\nLimitNOFILE=65536"))
    }
  }

  /// `make install` (scripts/install.sh) into a folder, as a package build would.
  @Suite struct Install {
    @Test func installsBinaryUnitAndConfigurationButNeverOverwritesOne() async throws {
      try await withWorkspace { workspace in
        let root = workspace.directory + "/root"
        func install() async throws -> CommandResult {
          try await runCommand(
            "/usr/bin/env",
            ["DESTDIR=\(root)", "BIN=\(Paths.commsd)", Paths.repository + "/scripts/install.sh"])
        }
        let first = try await install()
        #expect(first.status == 0, "\(first.stderr)")
        let manager = FileManager.default
        #expect(manager.isExecutableFile(atPath: root + "/usr/local/bin/commsd"))
        #expect(manager.fileExists(atPath: root + "/etc/systemd/system/commsd.service"))
        let config = root + "/etc/commsd/commsd.toml"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        #expect(text.contains("data_dir = \"/var/lib/commsd\""))
        // The example's public demo token and hook secret are not installed.
        #expect(!text.contains("name = \"demo\"") && !text.contains("[hooks.carebook]"))
        let checked = try await runCommand(Paths.commsd, ["config", "check", "--config", config])
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stdout.contains("0 token(s)"))
        // Nor are the example's public endpoint secrets, nor plain SMTP: an
        // installed configuration has nothing `config check` warns about.
        let example = try String(
          contentsOfFile: Paths.repository + "/config/example/commsd.toml", encoding: .utf8)
        let publicSecrets = example.split(separator: "\n").filter { $0.hasPrefix("secret = ") }
        #expect(publicSecrets.count >= 2)
        #expect(!publicSecrets.contains { text.contains($0) })
        #expect(!text.contains("tls = \"none\""))
        #expect(!checked.stderr.contains("warning"), "\(checked.stderr)")
        let other = root + "/other"
        _ = try await runCommand(
          "/usr/bin/env",
          ["DESTDIR=\(other)", "BIN=\(Paths.commsd)", Paths.repository + "/scripts/install.sh"])
        let secrets = { (text: String) in
          text.split(separator: "\n").filter { $0.hasPrefix("secret = ") }
        }
        let otherText = try String(
          contentsOfFile: other + "/etc/commsd/commsd.toml", encoding: .utf8)
        #expect(
          Set(secrets(text)).isDisjoint(with: secrets(otherText)), "each install its own secrets")

        try "# mine\n".write(toFile: config, atomically: true, encoding: .utf8)
        let second = try await install()
        #expect(second.status == 0)
        #expect(second.stdout.contains("exists; left as it is"))
        #expect(try String(contentsOfFile: config, encoding: .utf8) == "# mine\n")
      }
    }
  }
}
