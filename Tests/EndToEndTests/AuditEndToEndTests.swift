import CommsCore
import Foundation
import GRDB
import Testing

extension EndToEnd {
  /// `commsd audit verify` and `commsd audit export` on a real daemon's log.
  @Suite struct AuditLog {
    @Test func theLogIsVerifiedExportedAndTamperingIsNamed() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: [
            recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"]),
            recipient("s2", "Søren Østergaard", audiences: ["staff"], contacts: ["hook:s2"]),
          ].joined())
        let daemon = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "staff", "--subject", "Nattevagt", "--body", "Ny vagtplan.",
        ])
        try await workspace.waitUntilFinal(id)
        // The head is in the daemon's log, outside the database.
        try await eventually("the chain head in the log") {
          daemon.output.contains("audit chain head")
        }

        let verified = try await workspace.commsd(["audit", "verify"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.hasPrefix("intact: "), "\(verified.stdout)")
        let head = try #require(verified.stdout.split(separator: " ").last)
          .trimmingCharacters(in: .whitespacesAndNewlines)

        let jsonl = try await workspace.commsd(["audit", "export", "--since", "1h"])
        #expect(jsonl.status == 0, "\(jsonl.stderr)")
        let events = try jsonl.stdout.split(separator: "\n").map {
          try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let kinds = Set(events.compactMap { $0["kind"] as? String })
        #expect(
          kinds.isSuperset(of: ["message.accepted", "message.planned", "delivery.delivered"]))
        let delivered = try #require(events.first { $0["kind"] as? String == "delivery.delivered" })
        #expect((delivered["detail"] as? [String: Any])?["status"] as? String == "204")
        #expect(delivered["message_id"] as? String == id)
        #expect((delivered["hash"] as? String)?.count == 64)

        let csv = try await workspace.commsd([
          "audit", "export", "--since", "1h", "--format", "csv",
        ])
        let rows = csv.stdout.split(separator: "\n")
        #expect(
          rows.first == "seq,at,kind,message_id,delivery_id,actor,detail,prev_hash,hash,personal")
        #expect(rows.count == events.count + 2)  // header, and the first export's own event
        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        let exports = try await store.auditEvents(kinds: ["audit.exported"]).map(\.event)
        #expect(exports.count == 2)
        // Each export is on record before its first line is printed, and
        // says how far it reaches: the first up to the event before its own.
        let lastExported = try #require(events.last?["seq"] as? Int)
        #expect(exports.first?.detail["through"] == String(lastExported), "\(exports)")
        #expect(!events.contains { $0["kind"] as? String == "audit.exported" })

        // Tampering: one delivery's outcome rewritten, as someone with the file could.
        let altered = try #require(events.first { $0["kind"] as? String == "delivery.delivered" })
        let sequence = try #require(altered["seq"] as? Int)
        let file = try DatabaseQueue(path: workspace.dataDirectory + "/commsd.sqlite")
        let original = try await file.read { db in
          try String.fetchOne(
            db, sql: "SELECT detail FROM audit_events WHERE seq = ?", arguments: [sequence])
        }
        try await file.write { db in
          try db.execute(
            sql: "UPDATE audit_events SET detail = '{\"status\":\"500\"}' WHERE seq = ?",
            arguments: [sequence])
        }
        let broken = try await workspace.commsd(["audit", "verify"])
        #expect(broken.status == 1)
        #expect(
          broken.stdout.contains("BROKEN at event \(sequence) (delivery.delivered)"),
          "\(broken.stdout)")

        // Put back, then the newest events removed: the shorter chain is whole,
        // but the head logged earlier is gone.
        try await file.write { db in
          try db.execute(
            sql: "UPDATE audit_events SET detail = ? WHERE seq = ?",
            arguments: [original, sequence])
        }
        let headSequence = try #require(Int64(head.split(separator: ":").first ?? ""))
        try await file.write { db in
          try db.execute(sql: "DELETE FROM audit_events WHERE seq >= ?", arguments: [headSequence])
        }
        let whole = try await workspace.commsd(["audit", "verify"])
        #expect(whole.status == 0, "\(whole.stdout)")
        let shortened = try await workspace.commsd(["audit", "verify", "--head", head])
        #expect(shortened.status == 1)
        // Gone, or (had the daemon written since) a different event under that number.
        #expect(shortened.stdout.hasPrefix("BROKEN: event \(headSequence)"), "\(shortened.stdout)")
      }
    }

    /// A request for access: everything sent to one person, and the request on record.
    @Test func everythingSentToOnePersonIsListed() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: [
            recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"]),
            recipient("r1", "Jens Pedersen", audiences: ["relatives"], contacts: ["hook:r1"]),
          ].joined())
        _ = try workspace.startDaemon()
        let first = try await workspace.send([
          "--audience", "staff", "--subject", "Vagt", "--body", "A",
        ])
        let second = try await workspace.send([
          "--audience", "staff,relatives", "--subject", "Besøg", "--body", "B",
        ])
        try await workspace.waitUntilFinal(first)
        try await workspace.waitUntilFinal(second)
        let result = try await workspace.commsd(["audit", "subject", "s1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let answer = try #require(
          try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let entries = try #require(answer["deliveries"] as? [[String: Any]])
        #expect((answer["questions"] as? [Any])?.isEmpty == true)
        #expect(entries.map { $0["message_id"] as? String } == [first, second])
        #expect(entries.map { $0["subject"] as? String } == ["Vagt", "Besøg"])
        #expect(entries.allSatisfy { $0["contact"] as? String == "hook:s1" })
        #expect(entries.allSatisfy { $0["state"] as? String == "delivered" })
        let nobody = try await workspace.commsd(["audit", "subject", "x9"])
        #expect(nobody.stdout.contains("nothing was sent to x9"))
        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        let requests = try await store.auditEvents(kinds: ["audit.subject_access"])
        #expect(requests.map { $0.event.detail["recipient"] } == ["s1", "x9"])
      }
    }
  }
}
