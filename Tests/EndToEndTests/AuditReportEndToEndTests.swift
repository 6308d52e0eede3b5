import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// `commsd audit report` on what a real daemon delivered to real receivers.
  @Suite struct AuditReportEndToEnd {
    @Test func theReportShowsReachPerAudienceAndWhoWasUnreachable() async throws {
      try await withWorkspace { workspace in
        // The SMS gateway has gone for good: Ole's only contact dies.
        let http = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, arguments: ["--fail-path", "/sms=410"]))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: [
            recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"]),
            recipient("s2", "Søren Østergaard", audiences: ["staff"], contacts: ["hook:s2"]),
            recipient("r1", "Ida Holm", audiences: ["relatives"], contacts: ["hook:r1"]),
            recipient(
              "r2", "Ole Nielsen", audiences: ["relatives"], contacts: ["sms:+4520000002"]),
          ].joined())
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "staff,relatives", "--subject", "Vandforsyning", "--body", "Kog vandet.",
        ])
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["delivered": 3, "dead": 1])

        // The terminal table: reach per audience, and Ole with the reason.
        let table = try await workspace.commsd(["audit", "report", id])
        #expect(table.status == 0, "\(table.stderr)")
        let rows = table.stdout.split(separator: "\n").map {
          $0.split(separator: " ").map(String.init)
        }
        #expect(
          // reached, share, of them by handset and by fallback, unconfirmed, unreachable, pending, withdrawn
          rows.contains {
            $0.prefix(11) == ["staff", "2", "2", "100", "%", "0", "0", "0", "0", "0", "0"]
          },
          "\(table.stdout)")
        #expect(
          rows.contains {
            $0.prefix(11) == ["relatives", "2", "1", "50", "%", "0", "0", "0", "1", "0", "0"]
          },
          "\(table.stdout)")
        let ole = try #require(
          table.stdout.split(separator: "\n").first { $0.contains("Ole Nielsen") },
          "\(table.stdout)")
        #expect(ole.contains("r2"))
        #expect(ole.contains("HTTP 410"))
        #expect(ole.contains("webhook:sms +4520000002"))

        // HTML to a file: one page with its charts inline.
        let page = workspace.directory + "/efterrapport.html"
        let html = try await workspace.commsd([
          "audit", "report", id, "--format", "html", "--output", page,
        ])
        #expect(html.status == 0, "\(html.stderr)")
        #expect(html.stdout.isEmpty)
        let written = try String(contentsOfFile: page, encoding: .utf8)
        #expect(written.contains("<svg"))
        #expect(written.contains("Ole Nielsen"))
        #expect(!written.contains("<script"))
        #expect(!written.contains("http://") && !written.contains("https://"))

        // CSV for the last hour: a header and one row per audience.
        let csv = try await workspace.commsd([
          "audit", "report", "--since", "1h", "--format", "csv",
        ])
        #expect(csv.status == 0, "\(csv.stderr)")
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(csv.stdout)")
        #expect(lines.first?.hasPrefix("message_id,subject,") == true)
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("\(id),Vandforsyning,") })
        #expect(
          lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[10] }
            == ["staff", "relatives"])

        // Neither an id and a period, nor none.
        let both = try await workspace.commsd(["audit", "report", id, "--since", "1h"])
        #expect(both.status != 0)

        // Each report is on record, with its scope and format.
        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        let reported = try await store.auditEvents(kinds: ["audit.reported"]).map(\.event)
        #expect(reported.count == 3)
        #expect(reported.map { $0.detail["scope"] } == ["message", "message", "period"])
        #expect(reported.map { $0.detail["format"] } == ["table", "html", "csv"])
        #expect(reported[0].messageID?.rawValue == id)
        #expect(reported[0].detail["message_id"] == id)
        #expect(reported[1].detail["output"] == page)
        #expect(reported[2].detail["since"] != nil)
        #expect(reported[2].detail["messages"] == "1")
      }
    }
  }
}
