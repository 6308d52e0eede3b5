import CommsCore
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension EndToEnd.Inquiries {
  /// A private Postfix on loopback (Tests/Receivers/postfix_instance.py)
  /// delivering the domain's mail to `commsd mailgate` through its pipe
  /// transport, as nobody:nogroup; retries are left to `--flush`, so the
  /// test decides when a deferred mail is tried again.
  struct MailGate {
    let child: ChildProcess
    let directory: String
    let port: Int

    static func start(_ workspace: Workspace) async throws -> MailGate {
      let directory = workspace.directory + "/postfix"
      let portFile = workspace.directory + "/postfix.port"
      let socket = workspace.dataDirectory + "/commsd.sock"
      let child = try workspace.start(
        name: "postfix", executable: "/usr/bin/env",
        arguments: [
          "python3", Paths.receivers + "/postfix_instance.py", "--dir", directory,
          "--port-file", portFile, "--retry-delay", "3600", "--pipe-command",
          "\(Paths.commsd) mailgate --socket \(socket) --recipient ${original_recipient} --sender ${sender}",
        ])
      try await eventually(timeout: .seconds(30), "postfix to listen: \(child.output)") {
        FileManager.default.fileExists(atPath: portFile) || !child.isRunning
      }
      guard
        let port = Int(
          (try? String(contentsOfFile: portFile, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
      else { throw TestFailure("postfix did not start: \(child.output)") }
      return MailGate(child: child, directory: directory, port: port)
    }

    func harness(_ arguments: [String]) async throws -> CommandResult {
      try await runCommand(
        "/usr/bin/env",
        ["python3", Paths.receivers + "/postfix_instance.py", "--dir", directory] + arguments)
    }

    /// Sends `message` (headers and body, CRLF) from `sender` ("" for a bounce).
    func send(from sender: String, to recipient: String, _ message: String) async throws {
      let script = """
        import smtplib, sys
        with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
            s.sendmail(sys.argv[2], [sys.argv[3]], sys.argv[4].encode("utf-8"))
        """
      let result = try await runCommand(
        "/usr/bin/env", ["python3", "-c", script, String(port), sender, recipient, message])
      guard result.status == 0 else { throw TestFailure("SMTP to postfix: \(result.stderr)") }
    }
  }

  /// The daemon's intake socket, for the pipe's user (nobody:nogroup):
  /// in production the pipe runs as the daemon's own user (README).
  static func openSocket(_ workspace: Workspace) throws {
    let socket = workspace.dataDirectory + "/commsd.sock"
    guard chown(socket, uid_t.max, 65534) == 0 else {  // -1: keep the owner; nogroup
      throw TestFailure("chgrp nogroup \(socket): errno \(errno)")
    }
  }

  static func mail(_ headers: [String], _ body: String) -> String {
    headers.joined(separator: "\r\n") + "\r\n\r\n"
      + body.replacingOccurrences(of: "\n", with: "\r\n")
  }

  @Test
  func anEmailReplyThroughPostfixAndMailgateFindsItsBulletinAndWaitsInTheQueueWhileTheDaemonIsDown()
    async throws
  {
    try await withWorkspace { workspace in
      let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
      let handlers = workspace.adopt(
        try await Receiver.http(
          directory: workspace.directory, name: "carebook",
          arguments: ["--secret", Workspace.secret]))
      try workspace.writeConfig(
        smtpPort: smtp.port, httpPort: nil,
        recipients: Self.relatives.components(separatedBy: "[[recipients]]").prefix(2).joined(
          separator: "[[recipients]]"),
        audiences: Self.audiences(handlersPort: handlers.port))
      var daemon = try workspace.startDaemon()
      try await eventually(timeout: .seconds(30), "the intake socket") {
        FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
      }
      try Self.openSocket(workspace)
      let gate = try await MailGate.start(workspace)

      // Bulletin #1 to Inger by email, Reply-To tagged with her delivery.
      let bulletin = try await workspace.send([
        "--audience", "relatives", "--subject", "Besøg", "--body", "Besøgsregler.",
      ])
      try await workspace.waitUntilFinal(bulletin)
      let sent = try #require(smtp.emails.first { $0.rcptTos == ["inger@example.test"] })
      let replyTo = try #require(sent.headers["reply-to"])
      let tagged = try #require(
        replyTo.firstMatch(of: /paaroerende\+dlv_[0-9A-Z]{26}@kommune\.example/))
      let address = String(tagged.output)

      // Her reply, from another address of hers, quoting the bulletin.
      try await gate.send(
        from: "inger.privat@example.org", to: address,
        Self.mail(
          [
            "From: Inger Møller <inger.privat@example.org>", "To: <\(address)>",
            "Subject: SV: Besøg", "Message-ID: <reply-1@example.org>",
            "In-Reply-To: <\(sent.messageId ?? "")>", "Content-Type: text/plain; charset=utf-8",
          ], "Gælder det også i weekenden?\n\n> Besøgsregler.\n"))
      try await eventually(timeout: .seconds(20), "the inquiry") {
        handlers.webhooks.contains { $0.payload["type"] as? String == "commsd.inquiry.v1" }
      }
      let copy = try #require(
        handlers.webhooks.first { $0.payload["type"] as? String == "commsd.inquiry.v1" })
      let inquiry = try #require(copy.payload["inquiry"] as? [String: Any])
      #expect((inquiry["person"] as? [String: Any])?["id"] as? String == "rel-001")
      #expect(inquiry["message_id"] as? String == bulletin && inquiry["bulletin"] as? Int == 1)
      #expect(inquiry["text"] as? String == "Gælder det også i weekenden?")
      #expect(inquiry["channel"] as? String == "email")
      let id = try #require(inquiry["id"] as? String)

      // An out-of-office and a bounce are recorded, not inquiries.
      try await gate.send(
        from: "inger.privat@example.org", to: address,
        Self.mail(
          [
            "From: inger.privat@example.org", "Subject: Automatisk svar: Besøg",
            "Auto-Submitted: auto-replied",
          ], "Jeg er på ferie til mandag."))
      try await gate.send(
        from: "", to: address,
        Self.mail(
          [
            "From: MAILER-DAEMON@mx.example.org", "Subject: Undelivered Mail Returned to Sender",
            "Content-Type: multipart/report; report-type=delivery-status; boundary=b",
          ], "--b\n\nThe mail could not be delivered.\n--b--\n"))
      let drained = try await gate.harness(["--wait-empty", "20"])
      #expect(drained.status == 0, "\(drained.stdout)\(drained.stderr)")
      let export = try await workspace.commsd(["audit", "export", "--since", "1h"])
      #expect(export.stdout.components(separatedBy: "\"inbound.automatic\"").count - 1 == 2)
      let all = try await workspace.commsd(["inbox", "list", "--all", "--json"])
      #expect(
        (try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [Any])?.count == 1,
        "\(all.stdout)")

      // The daemon stops: mailgate exits 75 and Postfix keeps the mail.
      await daemon.stop()
      try await gate.send(
        from: "inger@example.test", to: address,
        Self.mail(
          ["From: inger@example.test", "Subject: SV: Besøg", "Message-ID: <reply-2@example.test>"],
          "Og hvad med påsken?"))
      var queue = ""
      try await eventually(timeout: .seconds(20), "the mail deferred: \(queue)") {
        queue = try await gate.harness(["--list-queue"]).stdout
        return queue.contains("deferred") && queue.contains("stays queued")
      }
      #expect(
        (try await workspace.commsd(["inbox", "list", "--all", "--json"])).stdout
          .components(separatedBy: "\"id\"").count - 1 == 1)

      // After the restart it arrives, once.
      daemon = try workspace.startDaemon(name: "daemon-2")
      try await eventually(timeout: .seconds(30), "the intake socket again") {
        (try? await workspace.commsd(["inbox", "list"]))?.status == 0
          && FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
      }
      try await Task.sleep(for: .milliseconds(300))  // the socket is bound before it is listed
      try Self.openSocket(workspace)
      _ = try await gate.harness(["--flush"])
      let delivered = try await gate.harness(["--wait-empty", "20"])
      let left = try await gate.harness(["--list-queue"]).stdout
      #expect(delivered.status == 0, "\(left)")
      let open = try await workspace.commsd(["inbox", "list", "--json"])
      let texts =
        (try JSONSerialization.jsonObject(with: Data(open.stdout.utf8)) as? [[String: Any]])?
        .compactMap { $0["text"] as? String }
      #expect(texts?.sorted() == ["Gælder det også i weekenden?", "Og hvad med påsken?"])

      // The answer goes to the address the question came from.
      let answer = try await workspace.commsd([
        "inbox", "answer", id, "--text", "Ja, også i weekenden, kl. 10-12.",
      ])
      #expect(answer.status == 0, "\(answer.stderr)")
      try await eventually(timeout: .seconds(20), "the answer by email") {
        smtp.emails.contains { $0.subject == "Re: SV: Besøg" }
      }
      let answered = smtp.emails.filter { $0.subject == "Re: SV: Besøg" }
      #expect(answered.map(\.rcptTos) == [["inger.privat@example.org"]])
      #expect(answered.first?.body?.contains("Ja, også i weekenden, kl. 10-12.") == true)
      // One acknowledgement (dosed per person, not per address), where she first wrote from.
      let acknowledged = smtp.emails.filter { $0.subject == "Vi har modtaget dit spørgsmål" }
      #expect(acknowledged.map(\.rcptTos) == [["inger.privat@example.org"]])
      #expect(smtp.emails.filter { $0.rcptTos == ["inger@example.test"] }.count == 1)
    }
  }
}
