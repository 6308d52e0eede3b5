import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// The retention period on a real daemon's store: after `commsd audit
  /// retain`, no body, name or address is left in the database file, and
  /// the audit chain still verifies.
  @Suite struct AuditRetention {
    static let body = "Besøgsforbuddet ophæves fredag kl. 12."
    static let personal = [
      "mette.hansen@kommune.test", "gone@kommune.test", "+4587654321", "Mette Hansen",
      "Søren Østergaard", "Jens Pedersen", body,
    ]

    @Test func noAddressOrBodyRemainsAndTheChainVerifies() async throws {
      try await withWorkspace { workspace in
        let smtp = workspace.adopt(
          try await Receiver.smtp(
            directory: workspace.directory, arguments: ["--reject", "gone@kommune.test"]))
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: http.port,
          recipients: [
            recipient(
              "s1", "Mette Hansen", audiences: ["staff"], contacts: ["mette.hansen@kommune.test"]),
            recipient(
              "s2", "Søren Østergaard", audiences: ["staff"], contacts: ["gone@kommune.test"]),
            recipient(
              "r1", "Jens Pedersen", audiences: ["relatives"], contacts: ["hook:+4587654321"]),
          ].joined())
        let daemon = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "staff,relatives", "--subject", "Besøg", "--body", Self.body,
        ])
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["delivered": 2, "dead": 1])
        #expect(smtp.emails.flatMap(\.rcptTos) == ["mette.hansen@kommune.test"])
        #expect(http.webhooks.count == 1)

        let store = workspace.dataDirectory + "/commsd.sqlite"
        func storeBytes() -> Data {
          ["", "-wal"].reduce(into: Data()) { data, suffix in
            data.append(FileManager.default.contents(atPath: store + suffix) ?? Data())
          }
        }
        let before = storeBytes()
        for value in Self.personal {
          #expect(before.range(of: Data(value.utf8)) != nil, "\(value) is in the store before")
        }

        // While the daemon runs, as an operator would.
        let retained = try await workspace.commsd(["audit", "retain", "--older-than", "0s"])
        #expect(retained.status == 0, "\(retained.stderr)")
        #expect(
          retained.stdout.hasPrefix("pseudonymised 1 messages (3 deliveries"), "\(retained.stdout)")
        await daemon.stop()

        let after = storeBytes()
        for value in Self.personal {
          #expect(after.range(of: Data(value.utf8)) == nil, "\(value) is still in the store file")
        }
        let verified = try await workspace.commsd(["audit", "verify"])
        #expect(verified.status == 0, "\(verified.stdout)")
        #expect(verified.stdout.hasPrefix("intact: "))

        // What remains readable: who got what, when, in which state.
        let subject = try await workspace.commsd(["audit", "subject", "s2", "--json"])
        let answer = try #require(
          try JSONSerialization.jsonObject(with: Data(subject.stdout.utf8)) as? [String: Any])
        let entries = try #require(answer["deliveries"] as? [[String: Any]])
        #expect((answer["questions"] as? [Any])?.isEmpty == true)
        #expect(entries.map { $0["state"] as? String } == ["dead"])
        #expect(entries.map { $0["subject"] as? String } == ["Besøg"])
        #expect(
          entries.map { $0["contact"] as? String } == ["(removed after the retention period)"])
        let again = try await workspace.commsd(["audit", "retain", "--older-than", "0s"])
        #expect(again.stdout.hasPrefix("pseudonymised 0 messages"), "\(again.stdout)")
        // Its dead letter cannot be sent again: the contact is a keyed hash now.
        let retry = try await workspace.commsd(["dead", "retry", id])
        #expect(retry.status == 65, "\(retry.stderr)")
        #expect(retry.stderr.contains("replaced by keyed hashes"), "\(retry.stderr)")

        // The daemon's log (at the level the suite runs) never held a body or an address.
        for value in Self.personal {
          #expect(!daemon.output.contains(value), "\(value) is in the daemon's log")
        }
      }
    }

    @Test func withoutAPeriodRetainSaysWhatIsMissing() async throws {
      try await withWorkspace { workspace in
        try workspace.writeConfig(
          smtpPort: nil, httpPort: 9,
          recipients: recipient("s1", "Mette", audiences: ["staff"], contacts: ["hook:s1"]))
        let result = try await workspace.commsd(["audit", "retain"])
        #expect(result.status == 78)
        #expect(
          result.stderr.contains("no retention period: set [retention] period"), "\(result.stderr)")
        let bad = try await workspace.commsd(["audit", "retain", "--older-than", "soon"])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("older-than"))
      }
    }
  }
}
