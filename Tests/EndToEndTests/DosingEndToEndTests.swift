import CommsCore
import Foundation
import Testing

extension EndToEnd {
  @Suite struct Dosing {
    /// Quiet hours that hold *now*, in Europe/Copenhagen: from an hour ago to
    /// two hours ahead (whatever the time of day the suite runs).
    static func quietWindowAroundNow() -> (text: String, end: Date) {
      var calendar = Calendar(identifier: .gregorian)
      calendar.timeZone = TimeZone(identifier: "Europe/Copenhagen")!
      let now = Date()
      let start = calendar.dateComponents([.hour, .minute], from: now.addingTimeInterval(-3600))
      let endDate = now.addingTimeInterval(7200)
      let end = calendar.dateComponents([.hour, .minute], from: endDate)
      let text = String(
        format: "%02d:%02d-%02d:%02d", start.hour!, start.minute!, end.hour!, end.minute!)
      let endMinute = calendar.date(
        bySettingHour: end.hour!, minute: end.minute!, second: 0, of: endDate)!
      return (text, endMinute)
    }

    /// A normal message in quiet hours is held, visibly, with its reason and
    /// release time; a flash message in the same hours goes at once.
    @Test func heldIsVisibleAndFlashBypassesQuietHours() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let quiet = Self.quietWindowAroundNow()
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: recipient(
            "rel-1", "Jens Pedersen", audiences: ["relatives"], contacts: ["sms:+4520000001"]),
          audiences: """
            [audiences.staff]
            [audiences.council]
            [audiences.police]
            [audiences.relatives]
            display_name = "Pårørende"
            dosing.quiet_hours = "\(quiet.text)"
            """)
        _ = try workspace.startDaemon()
        let normal = try await workspace.send([
          "--audience", "relatives", "--priority", "normal", "--subject", "Nyhedsbrev", "--body",
          "Ugens nyt.",
        ])
        let flash = try await workspace.send([
          "--audience", "relatives", "--priority", "flash", "--subject", "Evakuering", "--body",
          "Forlad bygningen.",
        ])
        let flashStatus = try await workspace.waitUntilFinal(flash)
        #expect(flashStatus.counts == ["delivered": 1])
        var held: MessageStatus.DeliveryLine?
        try await eventually(timeout: .seconds(10), "the normal message to be planned") {
          held = try await workspace.status(normal).deliveries.first
          return held != nil
        }
        #expect(held?.state == "held")
        #expect(held?.holdReason == "quiet hours")
        #expect(abs((held?.dueAt ?? .distantPast).timeIntervalSince(quiet.end)) < 1)
        let table = try await workspace.commsd(["status", normal])
        #expect(table.stdout.contains("held: quiet hours until "), "\(table.stdout)")
        #expect(http.webhooks.map { $0.payload["priority"] as? String } == ["flash"])
        // The hold and its reason are on record.
        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        let planned = try await store.auditEvents(messageID: MessageID(rawValue: normal))
          .first { $0.event.kind == "message.planned" }
        #expect(planned?.event.detail["held.quiet hours"] == "1")
      }
    }
  }
}
