import CommsCore
import Foundation
import Testing

extension EndToEnd {
  @Suite struct Faults {
    @Test func webhookAnswering503TwiceGetsTheMessageWithTheSameWebhookID() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory,
            arguments: ["--secret", Workspace.secret, "--fail-first", "2", "--fail-status", "503"]))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: recipient(
            "staff-1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:mette"]))
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "staff", "--subject", "Vand", "--body", "Kog vandet.",
        ])
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["delivered": 1])
        #expect(status.deliveries.first?.attempts == 3)
        let hooks = http.webhooks
        #expect(hooks.map(\.status) == [503, 503, 204])
        #expect(Set(hooks.map(\.webhookID)).count == 1)
        #expect(hooks.first?.webhookID == status.deliveries.first?.id)
        #expect(hooks.allSatisfy { $0.signatureValid == true })
        // Each retry is signed afresh: the timestamp may move, the id may not.
        #expect(Set(hooks.map { $0.payload["body"] as? String ?? "" }).count == 1)
        #expect((hooks.first?.payload["body"] as? String)?.hasSuffix("\n\nKog vandet.") == true)
      }
    }

    @Test func smtpServerThatComesUpTenSecondsLateReceivesTheMessage() async throws {
      try await withWorkspace { workspace in
        let port = try freePort()
        try workspace.writeConfig(
          smtpPort: port, httpPort: nil,
          recipients: recipient(
            "council-1", "Lise Holm", audiences: ["council"], contacts: ["lise@kommune.test"]))
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "council", "--subject", "Situationsrapport", "--body", "Rolig nat.",
        ])
        try await eventually(timeout: .seconds(10), "a failed first attempt") {
          let status = try await workspace.status(id)
          return status.deliveries.first.map { $0.attempts >= 1 && $0.state == "retrying" } ?? false
        }
        try await Task.sleep(for: .seconds(10))  // the outage itself, as the issue describes it
        let smtp = workspace.adopt(
          try await Receiver.smtp(directory: workspace.directory, port: port))
        let status = try await workspace.waitUntilFinal(id, timeout: .seconds(30))
        #expect(status.counts == ["delivered": 1])
        #expect((status.deliveries.first?.attempts ?? 0) >= 2)
        #expect(smtp.emails.map(\.subject) == ["[Kommunalbestyrelsen #1] Situationsrapport"])
        #expect(smtp.emails.first?.rcptTos == ["lise@kommune.test"])
      }
    }

    @Test func smtpRefusalIsPermanentAndOtherRecipientsAreUnaffected() async throws {
      try await withWorkspace { workspace in
        let smtp = workspace.adopt(
          try await Receiver.smtp(
            directory: workspace.directory, arguments: ["--reject", "gone@kommune.test"]))
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: nil,
          recipients: [
            recipient(
              "staff-1", "Gone Person", audiences: ["staff"], contacts: ["gone@kommune.test"]),
            recipient(
              "staff-2", "Mette Hansen", audiences: ["staff"], contacts: ["mette@kommune.test"]),
          ].joined())
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "staff", "--subject", "Info", "--body", "Tekst",
        ])
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["delivered": 1, "dead": 1])
        let dead = try #require(status.deliveries.first { $0.state == "dead" })
        #expect(dead.recipient == "staff-1")
        #expect(dead.attempts == 1)
        #expect(dead.lastStatus == 550)
        #expect(smtp.emails.flatMap(\.rcptTos) == ["mette@kommune.test"])
      }
    }

    @Test func webhook410IsPermanentWithoutRetries() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, arguments: ["--fail-path", "/sms=410"]))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: recipient(
            "staff-1", "Mette Hansen", audiences: ["staff"], contacts: ["sms:+4520000001"]))
        _ = try workspace.startDaemon()
        let id = try await workspace.send([
          "--audience", "staff", "--subject", "Info", "--body", "Tekst",
        ])
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["dead": 1])
        #expect(status.deliveries.first?.lastStatus == 410)
        #expect(http.webhooks.count == 1)
      }
    }
  }
}

extension EndToEnd.Faults {
  /// Sends one message through a relay that requires `commsd:<accepted>`,
  /// with `written` in the configured password file; returns the message's
  /// final status and what the SMTP server accepted.
  func sendThroughLogin(accepted: String, written: String, in workspace: Workspace) async throws
    -> (status: MessageStatus, emails: [EmailRecord])
  {
    let smtp = workspace.adopt(
      try await Receiver.smtp(
        directory: workspace.directory, arguments: ["--auth", "commsd:\(accepted)"]))
    try written.write(
      toFile: workspace.directory + "/smtp-password", atomically: true, encoding: .utf8)
    try workspace.writeConfig(
      smtpPort: smtp.port, httpPort: nil,
      recipients: recipient(
        "council-1", "Lise Holm", audiences: ["council"], contacts: ["lise@kommune.test"]),
      relayLogin: ("commsd", "smtp-password"))
    _ = try workspace.startDaemon()
    let id = try await workspace.send([
      "--audience", "council", "--subject", "Situationsrapport", "--body", "Rolig nat.",
    ])
    return (try await workspace.waitUntilFinal(id), smtp.emails)
  }

  @Test func relayLoginFromAPasswordFileIsUsed() async throws {
    try await withWorkspace { workspace in
      let (status, emails) = try await sendThroughLogin(
        accepted: "s3cret-æøå", written: "s3cret-æøå\n", in: workspace)
      #expect(status.counts == ["delivered": 1])
      #expect(emails.map(\.authUser) == ["commsd"])
    }
  }

  @Test func wrongRelayPasswordIsRefusedAndRecorded() async throws {
    try await withWorkspace { workspace in
      let (status, emails) = try await sendThroughLogin(
        accepted: "right", written: "wrong", in: workspace)
      #expect(status.counts == ["dead": 1])
      #expect(status.deliveries.first?.lastStatus == 535)
      #expect(emails.isEmpty)
    }
  }
}
