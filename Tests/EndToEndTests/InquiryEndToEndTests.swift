import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// Issue 21 end to end: a relative's question by SMS (a fake GatewayAPI's
  /// documented MO callback) and by email (a real Postfix on loopback
  /// delivering through `commsd mailgate`, its pipe transport) reaches the
  /// relatives' handlers, and the answer reaches that one relative.
  @Suite struct Inquiries {
    static let webhookToken = "gw-webhook-t0ken"

    static func audiences(handlersPort: Int) -> String {
      Workspace.standardAudiences
        .replacingOccurrences(
          of: "display_name = \"Pårørende\"",
          with:
            "display_name = \"Pårørende\"\nreply_to = \"Pårørendetelefonen <paaroerende@kommune.example>\""
        )
          + """

          [audiences.relatives.inbound]
          route = ["email:paaroerende-team@kommune.test", "webhook:carebook"]
          answer_within = "4h"

          [inbound]
          route = ["email:hotline@kommune.test"]

          [endpoints.carebook]
          url = "http://127.0.0.1:\(handlersPort)/carebook"
          secret = "\(Workspace.secret)"
          timeout = "5s"

          """
    }

    static let relatives =
      recipient(
        "rel-001", "Inger Møller", audiences: ["relatives"], contacts: ["inger@example.test"])
      + "attributes = { unit = \"solgaarden\" }\n\n"
      + recipient(
        "rel-002", "Amal Haddad", audiences: ["relatives"], contacts: ["gw:+4520000002"],
        language: "ar")
      + "attributes = { unit = \"solgaarden\" }\n\n"

    /// The fake gateway's MO callbacks (`gatewayapi_mo.py`) to the API on `port`.
    static func mo(port: Int, _ arguments: [String]) async throws -> CommandResult {
      try await runCommand(
        "/usr/bin/env",
        [
          "python3", Paths.receivers + "/gatewayapi_mo.py", "--to",
          "http://127.0.0.1:\(port)/v1/inbound/gw", "--secret", webhookToken,
        ] + arguments)
    }

    /// Sends `count` bulletins to the relatives and waits until the last is out.
    static func bulletins(_ workspace: Workspace, count: Int) async throws -> String {
      var last = ""
      for number in 1...count {
        last = try await workspace.send([
          "--audience", "relatives", "--priority", "urgent", "--subject", "Besøg \(number)",
          "--body", "Besøgsregler nr. \(number).",
        ])
      }
      // The SMS stays `sent` (no receipt comes): out is enough.
      try await eventually(timeout: .seconds(60), "bulletin \(count) out") {
        let counts = try await workspace.status(last).counts
        return counts.values.reduce(0, +) == 2
          && Set(counts.keys).isSubset(of: ["sent", "delivered"])
      }
      return last
    }

    @Test func anArabicRelativesSMSQuestionReachesTheHandlersAndTheAnswerReachesOnlyHer()
      async throws
    {
      try await withWorkspace { workspace in
        let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
        let gateway = workspace.adopt(try await Receipts.fakeGateway(workspace))
        let handlers = workspace.adopt(
          try await Receiver.http(
            directory: workspace.directory, name: "carebook",
            arguments: ["--secret", Workspace.secret]))
        let port = try freePort()
        let endpoint = try Receipts.receiptEndpoint(workspace, gateway: gateway, callbackPort: port)
        try workspace.writeConfig(
          smtpPort: smtp.port, httpPort: nil, recipients: endpoint + Self.relatives,
          extra: Workspace.apiSection(port: port, tokens: []),
          audiences: Self.audiences(handlersPort: handlers.port))
        let client = APIClient(base: "http://127.0.0.1:\(port)")
        _ = try await workspace.startDaemonWithAPI(client)
        let twelfth = try await Self.bulletins(workspace, count: 12)
        let sentBefore = gateway.webhooks.count

        // Amal answers bulletin #12 by SMS; the gateway calls commsd back.
        let question = "هل يمكننا الزيارة يوم الأحد؟"
        let asked = ContinuousClock.now
        let mo = try await Self.mo(port: port, ["--reply", "4520000002=\(question)"])
        #expect(mo.stdout.contains(#""outcome":"inquiry""#), "\(mo.stdout)\(mo.stderr)")
        // Within 5 s the relatives' handler hook has it, signed, as data.
        try await eventually(timeout: .seconds(5), "the handlers' copy") {
          handlers.webhooks.contains { $0.payload["type"] as? String == "commsd.inquiry.v1" }
        }
        #expect(ContinuousClock.now - asked < .seconds(5))
        let copy = try #require(
          handlers.webhooks.first { $0.payload["type"] as? String == "commsd.inquiry.v1" })
        #expect(copy.signatureValid == true)
        let inquiry = try #require(copy.payload["inquiry"] as? [String: Any])
        let id = try #require(inquiry["id"] as? String)
        #expect((inquiry["person"] as? [String: Any])?["id"] as? String == "rel-002")
        #expect(
          inquiry["unit"] as? String == "solgaarden" && inquiry["language"] as? String == "ar")
        #expect(inquiry["bulletin"] as? Int == 12 && inquiry["message_id"] as? String == twelfth)
        #expect(inquiry["text"] as? String == question && inquiry["channel"] as? String == "sms")
        // The team's mailbox has it too.
        try await eventually(timeout: .seconds(10), "the team's email") {
          smtp.emails.contains { $0.rcptTos == ["paaroerende-team@kommune.test"] }
        }
        // Amal is told, in Arabic, that it arrived.
        try await eventually(timeout: .seconds(10), "the acknowledgement") {
          gateway.webhooks.count > sentBefore
        }
        let acknowledgement = try #require(gateway.webhooks.dropFirst(sentBefore).first)
        #expect(acknowledgement.body.contains("4520000002"))
        #expect(
          acknowledgement.payload["message"] as? String
            == "شكرًا. لقد استلمنا سؤالك وسنرد عليه في أقرب وقت ممكن.")

        let list = try await workspace.commsd(["inbox", "list"])
        #expect(list.stdout.contains(id) && list.stdout.contains("relatives #12"), "\(list.stdout)")

        // The answer: one SMS, to Amal only, and the inquiry is closed.
        let before = gateway.webhooks.count
        let answer = try await workspace.commsd([
          "inbox", "answer", id, "--text", "نعم، من الساعة ١٠ إلى ١٢.", "--language", "ar",
        ])
        #expect(answer.status == 0, "\(answer.stderr)")
        try await eventually(timeout: .seconds(10), "the answer at the gateway") {
          gateway.webhooks.count == before + 1
        }
        try await Task.sleep(for: .milliseconds(500))  // nothing else follows it
        let sent = gateway.webhooks.dropFirst(before)
        #expect(sent.count == 1)
        let recipients = sent.first?.payload["recipients"] as? [[String: Any]]
        #expect(recipients?.map { $0["msisdn"] as? Int } == [4_520_000_002])
        #expect(sent.first?.payload["message"] as? String == "نعم، من الساعة ١٠ إلى ١٢.")
        let shown = try await workspace.commsd(["inbox", "show", id])
        #expect(shown.stdout.contains("ANSWERED"), "\(shown.stdout)")
        #expect(try await workspace.commsd(["inbox", "list"]).stdout.contains("no open inquiries"))

        // An unknown number is kept, unmatched, for the hotline.
        let unknown = ["--first-id", "1000002", "--reply", "4599999999=Hvem skriver jeg med?"]
        let stranger = try await Self.mo(port: port, unknown)
        #expect(stranger.stdout.contains(#""outcome":"inquiry""#), "\(stranger.stdout)")
        // The gateway calling the same SMS back again (a retry) changes nothing.
        let retried = try await Self.mo(port: port, unknown)
        #expect(retried.stdout.contains(#""outcome":"duplicate""#), "\(retried.stdout)")
        let unmatched = try await workspace.commsd(["inbox", "list", "--unmatched", "--json"])
        let open = try #require(
          try JSONSerialization.jsonObject(with: Data(unmatched.stdout.utf8)) as? [[String: Any]])
        #expect(open.map { $0["from"] as? String } == ["+4599999999"])
        #expect(open.first?["match"] as? String == "unmatched")
        try await eventually(timeout: .seconds(10), "the hotline's email") {
          smtp.emails.contains { $0.rcptTos == ["hotline@kommune.test"] }
        }

        // The dashboard counts the open question and lists bulletins only.
        let dashboard = try await workspace.commsd(["status", "--last", "50"])
        #expect(dashboard.stdout.contains("questions: 1 open"), "\(dashboard.stdout)")
        #expect(
          !dashboard.stdout.contains("Spørgsmål fra") && !dashboard.stdout.contains("Svar på"))
        // The report counts them; the person's record lists the question and its answer.
        let report = try await workspace.commsd(["audit", "report", "--since", "1h"])
        #expect(
          report.stdout.contains("modtaget 2 (heraf 1 fra ukendte afsendere) · besvaret 1"),
          "\(report.stdout)")
        let subject = try await workspace.commsd(["audit", "subject", "rel-002"])
        #expect(subject.stdout.contains("QUESTIONS FROM rel-002"), "\(subject.stdout)")
        #expect(subject.stdout.contains(id) && subject.stdout.contains("answered"))
        let verify = try await workspace.commsd(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout)")
      }
    }
  }
}
