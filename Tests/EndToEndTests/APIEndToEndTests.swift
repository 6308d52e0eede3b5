import CommsCore
import Foundation
import Testing

extension EndToEnd {
  /// The HTTP API as integrators use it, against the real daemon and real
  /// receivers: what is enqueued arrives; scopes, idempotency and input
  /// limits hold; every refusal is on record.
  @Suite struct API {
    static let recipients = [
      recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"]),
      recipient("r1", "Jens Pedersen", audiences: ["relatives"], contacts: ["hook:r1"]),
      recipient("r2", "Aisha Khan", audiences: ["relatives"], contacts: ["jens@kommune.test"]),
    ].joined()

    /// A workspace with receivers, a daemon with the API, and two tokens:
    /// `care` (relatives, up to urgent) and `reader` (relatives, read-only).
    struct Setup {
      var workspace: Workspace
      var client: APIClient
      var care: TestToken
      var reader: TestToken
      var http: Receiver
      var smtp: Receiver
    }

    static func setUp(_ workspace: Workspace, more: String = "") async throws -> Setup {
      let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
      let smtp = workspace.adopt(try await Receiver.smtp(directory: workspace.directory))
      let care = TestToken(name: "care", audiences: ["relatives"])
      let reader = TestToken(name: "reader", audiences: ["relatives"], readOnly: true)
      let port = try freePort()
      try workspace.writeConfig(
        smtpPort: smtp.port, httpPort: http.port, recipients: recipients,
        extra: Workspace.apiSection(port: port, tokens: [care, reader], more: more))
      let client = APIClient(base: "http://127.0.0.1:\(port)")
      _ = try await workspace.startDaemonWithAPI(client)
      return Setup(
        workspace: workspace, client: client, care: care, reader: reader, http: http, smtp: smtp)
    }

    static let visit =
      #"{"audiences":["relatives"],"subject":"Besøg","body":"Besøg er tilladt igen fra mandag."}"#

    @Test func aMessageEnqueuedOverHTTPArrivesAndCanBeFollowed() async throws {
      try await withWorkspace { workspace in
        let setup = try await Self.setUp(workspace)
        let answer = try await setup.client.call(
          "POST", "/v1/messages", token: setup.care.token, json: Self.visit)
        #expect(answer.status == 202, "\(answer.text)")
        let id = try #require(answer.json["id"] as? String)
        #expect(answer.headers["location"] == "/v1/messages/\(id)")

        let status = try await workspace.waitUntilFinal(id)
        #expect(status.counts == ["delivered": 2])
        #expect(status.sender.hasPrefix("api:care@127.0.0.1"))
        #expect(setup.http.webhooks.map { $0.payload["contact"] as? String } == ["r1"])
        #expect(setup.smtp.emails.flatMap(\.rcptTos) == ["jens@kommune.test"])

        let message = try await setup.client.call(
          "GET", "/v1/messages/\(id)", token: setup.reader.token)
        #expect(message.status == 200)
        #expect(message.json["counts"] as? [String: Int] == ["delivered": 2])
        #expect(message.json["deliveries"] == nil)

        // Pages of one: two pages and the end.
        let first = try await setup.client.call(
          "GET", "/v1/messages/\(id)/deliveries?limit=1", token: setup.reader.token)
        let next = try #require(first.json["next"] as? String)
        let second = try await setup.client.call("GET", next, token: setup.reader.token)
        let third = try await setup.client.call(
          "GET", try #require(second.json["next"] as? String), token: setup.reader.token)
        let pages = [first, second, third].map { ($0.json["deliveries"] as? [[String: Any]]) ?? [] }
        #expect(pages.map(\.count) == [1, 1, 0])
        #expect(Set(pages.joined().compactMap { $0["recipient"] as? String }) == ["r1", "r2"])
        #expect(third.json["next"] is NSNull)

        // What monitoring sees.
        let metrics = try await setup.client.call("GET", "/metrics", token: setup.reader.token).text
        for line in [
          "commsd_deliveries{state=\"delivered\",channel=\"webhook\",endpoint=\"hook\",audience=\"relatives\"} 1",
          "commsd_deliveries{state=\"delivered\",channel=\"email\",endpoint=\"\",audience=\"relatives\"} 1",
          "commsd_store_up 1", "commsd_dead_letters 0", "commsd_queue_depth{lane=\"flash\"} 0",
          "commsd_circuit_open{target=\"endpoint:hook\"} 0",
          "commsd_messages_unplanned{priority=\"normal\"} 0",
          "commsd_attempt_duration_seconds_count{target=\"endpoint:hook\",outcome=\"delivered\"} 1",
          "commsd_api_requests_total{route=\"/v1/messages\",method=\"POST\",status=\"202\"} 1",
        ] {
          #expect(metrics.contains(line + "\n"), "\(line)")
        }
      }
    }

    @Test func theSameKeyAndBodyGiveTheSameAnswerAnotherBodyIsAConflict() async throws {
      try await withWorkspace { workspace in
        let setup = try await Self.setUp(workspace)
        let key = ["Idempotency-Key": "care-7f3a"]
        let first = try await setup.client.call(
          "POST", "/v1/messages", token: setup.care.token, json: Self.visit, headers: key)
        let again = try await setup.client.call(
          "POST", "/v1/messages", token: setup.care.token, json: Self.visit, headers: key)
        #expect(first.status == 202 && again.status == 202)
        #expect(first.json["id"] as? String == again.json["id"] as? String)
        let other = try await setup.client.call(
          "POST", "/v1/messages", token: setup.care.token,
          json: #"{"audiences":["relatives"],"subject":"Besøg","body":"Noget andet."}"#,
          headers: key)
        #expect(other.status == 409)
        #expect(other.headers["content-type"] == "application/problem+json")
        #expect(other.field == "Idempotency-Key")
        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        #expect(try await store.auditEvents(kinds: ["message.accepted"]).count == 1)
      }
    }

    @Test func refusalsNameWhatIsWrongChangeNothingAndAreOnRecord() async throws {
      try await withWorkspace { workspace in
        let setup = try await Self.setUp(workspace)
        let client = setup.client
        let care = setup.care.token
        let cases: [(answer: APIClient.Answer, status: Int, field: String?)] = [
          (try await client.call("POST", "/v1/messages", json: Self.visit), 401, nil),
          (
            try await client.call("POST", "/v1/messages", token: "cmsd_wrong", json: Self.visit),
            401, nil
          ),
          (
            try await client.call(
              "POST", "/v1/messages", token: care,
              json: #"{"audiences":["police"],"subject":"x","body":"y"}"#), 403, "audiences"
          ),
          (
            try await client.call(
              "POST", "/v1/messages", token: care,
              json: #"{"audiences":["relatives"],"priority":"flash","subject":"x","body":"y"}"#),
            403, "priority"
          ),
          (
            try await client.call(
              "POST", "/v1/messages", token: setup.reader.token, json: Self.visit), 403, nil
          ),
          (
            try await client.call(
              "POST", "/v1/messages", token: care,
              body: Data(repeating: UInt8(ascii: "a"), count: 100_000)), 413, nil
          ),
          (
            try await client.call(
              "POST", "/v1/messages", token: care,
              json: #"{"audiences":["relatives"],"subject":"Hej\r\nBcc: x@y.z","body":"y"}"#),
            422, "subject"
          ),
          (
            try await client.call(
              "POST", "/v1/messages", token: care,
              json: #"{"audiences":["relatives"],"subject":"x","body":"y","colour":"red"}"#),
            422, "colour"
          ),
          (
            try await client.call(
              "POST", "/v1/messages", token: care,
              json: #"{"audiences":["relatives"],"subject":"x","body":"y","expires_at":"soon"}"#),
            422, "expires_at"
          ),
          (
            try await client.call("POST", "/v1/messages", token: care, json: "{\"audiences\":"),
            400, nil
          ),
          (
            try await client.call(
              "POST", "/v1/messages", token: care,
              json: #"{"audiences":["relatives","relatives"],"subject":"x","body":"y"}"#),
            422, "audiences"
          ),
          (
            try await client.call(
              "POST", "/v1/messages", token: care,
              json:
                #"{"audiences":["relatives"],"subject":"x","body":"y","translations":{"en":{"subject":" ","body":"y"}}}"#
            ), 422, "translations.en.subject"
          ),
          (try await client.call("DELETE", "/v1/messages", token: care), 405, nil),
          (try await client.call("GET", "/v1/audit", token: care), 403, nil),
          (try await client.call("GET", "/v1/messages/msg_nope", token: care), 404, nil),
        ]
        for (index, item) in cases.enumerated() {
          #expect(item.answer.status == item.status, "case \(index): \(item.answer.text)")
          #expect(item.answer.field == item.field, "case \(index): \(item.answer.text)")
          #expect(
            item.answer.headers["content-type"] == "application/problem+json", "case \(index)")
          #expect((item.answer.json["detail"] as? String)?.isEmpty == false, "case \(index)")
        }
        #expect(cases[0].answer.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(cases.first { $0.status == 405 }?.answer.headers["allow"] == "POST")

        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        #expect(try await store.auditEvents(kinds: ["message.accepted"]).isEmpty)
        let refused = try await store.auditEvents(kinds: ["request.refused"]).map(\.event)
        // Every 401 and 403, and the refusal intake made (the subject).
        #expect(refused.filter { $0.detail["status"] == "401" }.count == 2)
        #expect(refused.filter { $0.detail["status"] == "403" }.count == 4)
        #expect(refused.contains { $0.detail["field"] == "subject" })
        #expect(
          refused.contains { $0.actor == "api:care@127.0.0.1" && $0.detail["field"] == "audiences" }
        )
      }
    }

    @Test func cancelAndSupersedeOverHTTP() async throws {
      try await withWorkspace { workspace in
        let setup = try await Self.setUp(workspace)
        let first = try await setup.client.call(
          "POST", "/v1/messages", token: setup.care.token, json: Self.visit)
        let id = try #require(first.json["id"] as? String)
        _ = try await workspace.waitUntilFinal(id)
        let newer = try await setup.client.call(
          "POST", "/v1/messages/\(id)/supersede", token: setup.care.token,
          json: #"{"audiences":["relatives"],"subject":"Besøg","body":"Rettelse: fra tirsdag."}"#)
        #expect(newer.status == 202, "\(newer.text)")
        let newID = try #require(newer.json["id"] as? String)
        let status = try await workspace.waitUntilFinal(newID)
        #expect(status.supersedes == id)
        // Readers who had the first see the second as an update of it.
        #expect(
          setup.http.webhooks.last?.payload["updates_bulletin"] as? Int
            == setup.http.webhooks.first?.payload["bulletin"] as? Int)

        let cancelled = try await setup.client.call(
          "POST", "/v1/messages/\(newID)/cancel", token: setup.care.token,
          json: #"{"reason":"Udsendt ved en fejl","notify":true}"#)
        #expect(cancelled.status == 200, "\(cancelled.text)")
        let retraction = try #require(cancelled.json["retraction"] as? String)
        #expect(cancelled.json["notified"] as? Int == 2)
        _ = try await workspace.waitUntilFinal(retraction)
        let twice = try await setup.client.call(
          "POST", "/v1/messages/\(newID)/cancel", token: setup.care.token,
          json: #"{"reason":"igen"}"#)
        #expect(twice.status == 409)
        let readOnly = try await setup.client.call(
          "POST", "/v1/messages/\(id)/cancel", token: setup.reader.token,
          json: #"{"reason":"x"}"#)
        #expect(readOnly.status == 403)
      }
    }

    static let hookSecret = "whsec_c2VjcmV0LWZvci10aGUtY2FyZS1zeXN0ZW0tdGVzdHM="
    static let hookSource = """
      [hooks.carebook]
      secret = "\(hookSecret)"
      audiences = ["relatives"]
      priority = "urgent"
      subject = "{{title}}"
      body = "{{text}} ({{ward}})"

      """

    /// A Standard Webhooks request: headers for `body` signed at `timestamp`.
    static func signed(_ body: String, id: String, timestamp: Int, secret: String = hookSecret)
      -> [String: String]
    {
      let key = WebhookSigner.key(fromSecret: secret)!
      return [
        "webhook-id": id, "webhook-timestamp": String(timestamp),
        "webhook-signature": WebhookSigner.signature(
          id: id, timestamp: timestamp, body: Array(body.utf8), key: key),
        "Content-Type": "application/json",
      ]
    }

    @Test func aSignedInboundWebhookBecomesAMessageForgedStaleAndReplayedAreRefused()
      async throws
    {
      try await withWorkspace { workspace in
        let setup = try await Self.setUp(workspace, more: Self.hookSource)
        let payload = #"{"title":"Ny besøgsordning","text":"Besøg kun i haven","ward":"Solgården"}"#
        let now = Int(Date().timeIntervalSince1970)
        func post(_ headers: [String: String], body: String = payload) async throws
          -> APIClient.Answer
        {
          try await setup.client.call(
            "POST", "/v1/hooks/carebook", body: Data(body.utf8), headers: headers)
        }
        let accepted = try await post(Self.signed(payload, id: "evt_1", timestamp: now))
        #expect(accepted.status == 202, "\(accepted.text)")
        let id = try #require(accepted.json["id"] as? String)
        let status = try await workspace.waitUntilFinal(id)
        #expect(status.priority == "urgent")
        #expect(status.sender.hasPrefix("api:hook:carebook@"))
        let hook = try #require(setup.http.webhooks.first)
        #expect((hook.payload["subject"] as? String)?.hasSuffix("Ny besøgsordning") == true)
        #expect(
          (hook.payload["body"] as? String)?.contains("Besøg kun i haven (Solgården)") == true)

        let replayed = try await post(Self.signed(payload, id: "evt_1", timestamp: now))
        let stale = try await post(Self.signed(payload, id: "evt_2", timestamp: now - 600))
        let forged = try await post(
          Self.signed(
            payload, id: "evt_3", timestamp: now,
            secret: "whsec_bm90LXRoZS1yaWdodC1zZWNyZXQtYXQtYWxsLTEyMw=="))
        var tampered = Self.signed(payload, id: "evt_4", timestamp: now)
        tampered["webhook-id"] = "evt_5"
        let moved = try await post(tampered)
        let unsigned = try await post(["Content-Type": "application/json"])
        let unknown = try await setup.client.call(
          "POST", "/v1/hooks/elsewhere", body: Data(payload.utf8),
          headers: Self.signed(payload, id: "evt_6", timestamp: now))
        #expect(replayed.status == 409)
        #expect([stale, forged, moved, unsigned].map(\.status) == [401, 401, 401, 401])
        // An unknown source is refused like a forged signature (see the hardening tests).
        #expect(unknown.status == 401)

        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        #expect(try await store.auditEvents(kinds: ["message.accepted"]).count == 1)
        let refused = try await store.auditEvents(kinds: ["request.refused"]).map(\.event)
        #expect(refused.filter { $0.detail["route"] == "/v1/hooks/{source}" }.count == 6)
        #expect(refused.contains { ($0.detail["reason"] ?? "").contains("replayed") })
        #expect(refused.contains { ($0.detail["reason"] ?? "").contains("stale") })
        #expect(refused.contains { ($0.detail["reason"] ?? "").contains("forged") })
      }
    }

    @Test func withTLSConfiguredTheAPISpeaksHTTPSOnly() async throws {
      try await withWorkspace { workspace in
        let certificate = workspace.directory + "/cert.pem"
        let key = workspace.directory + "/key.pem"
        let made = try await runCommand(
          "/usr/bin/openssl",
          [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", key, "-out", certificate,
          ])
        #expect(made.status == 0, "\(made.stderr)")
        let care = TestToken(name: "care", audiences: ["relatives"])
        let port = try freePort()
        try workspace.writeConfig(
          smtpPort: 9, httpPort: 9, recipients: Self.recipients,
          extra: """
            [api]
            listen = "127.0.0.1:\(port)"
            tls_certificate = "cert.pem"
            tls_key = "key.pem"

            \(care.toml)
            """)
        _ = try workspace.startDaemon()
        func curl(_ arguments: [String]) async throws -> CommandResult {
          try await runCommand(
            "/usr/bin/curl",
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"]
              + arguments)
        }
        try await eventually(timeout: .seconds(30), "the API over TLS") {
          try await curl(["--cacert", certificate, "https://127.0.0.1:\(port)/readyz"]).stdout
            == "200"
        }
        let refused = try await curl([
          "--cacert", certificate, "-H", "Authorization: Bearer wrong",
          "https://127.0.0.1:\(port)/v1/messages/msg_x",
        ])
        #expect(refused.stdout == "401")
        // Plain HTTP on the TLS port gets no HTTP answer.
        let plain = try await curl(["http://127.0.0.1:\(port)/healthz"])
        #expect(plain.stdout == "000")
      }
    }
  }
}
