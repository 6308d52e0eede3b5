import CommsCore
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension EndToEnd {
  /// Issue 16: no input from a receiver, an integrator or a typo stops the
  /// daemon. Idle connections, descriptor exhaustion, slow-drip clients and
  /// floods of bad tokens against the real daemon, with real receivers
  /// checking that messages still arrive.
  @Suite struct ListenerHardening {
    static let recipients = [
      recipient("r1", "Jens Pedersen", audiences: ["relatives"], contacts: ["hook:r1"])
    ].joined()

    struct Setup {
      var workspace: Workspace
      var client: APIClient
      var port: Int
      var care: TestToken
      var http: Receiver
      var daemon: ChildProcess
    }

    static func setUp(_ workspace: Workspace, api: String = "", more: String = "") async throws
      -> Setup
    {
      let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
      let care = TestToken(name: "care", audiences: ["relatives"])
      let port = try freePort()
      try workspace.writeConfig(
        smtpPort: nil, httpPort: http.port, recipients: recipients,
        extra: "[api]\nlisten = \"127.0.0.1:\(port)\"\n\(api)\n" + care.toml + more)
      let client = APIClient(base: "http://127.0.0.1:\(port)")
      let daemon = try await workspace.startDaemonWithAPI(client)
      return Setup(
        workspace: workspace, client: client, port: port, care: care, http: http, daemon: daemon)
    }

    static let visit =
      #"{"audiences":["relatives"],"subject":"Besøg","body":"Besøg igen fra mandag."}"#

    @Test func twoThousandIdleConnectionsAreClosedAndMessagesStillArrive() async throws {
      RawSockets.raiseDescriptorLimit(to: 4096)
      try await withWorkspace { workspace in
        let setup = try await Self.setUp(workspace, api: "idle_timeout = \"2s\"")
        let before = RawSockets.openDescriptors(of: setup.daemon.pid)
        let idle = (0..<2000).map { _ in RawSockets.connectTCP(port: setup.port) }
        defer { for fd in idle where fd >= 0 { close(fd) } }
        #expect(idle.allSatisfy { $0 >= 0 })
        try await Task.sleep(for: .milliseconds(500))
        // At most max_connections (512) of them hold a descriptor in the daemon.
        let during = RawSockets.openDescriptors(of: setup.daemon.pid)
        #expect(during - before <= 520, "the daemon holds \(during - before) more descriptors")

        let viaCLI = try await workspace.send([
          "--audience", "relatives", "--subject", "Fra CLI", "--body", "Sendt under belastning",
        ])
        let answer = try await setup.client.call(
          "POST", "/v1/messages", token: setup.care.token, json: Self.visit)
        #expect(answer.status == 202, "\(answer.text)")
        let viaAPI = try #require(answer.json["id"] as? String)
        #expect(try await workspace.waitUntilFinal(viaCLI).counts == ["delivered": 1])
        #expect(try await workspace.waitUntilFinal(viaAPI).counts == ["delivered": 1])
        #expect(setup.http.webhooks.count == 2)

        // The daemon closes every idle connection it accepted (512 at a
        // time, 2 s each) and is back to its own descriptors. Those the
        // kernel's full backlog never completed (several hundred here) never
        // reached the daemon: the kernel gives up on them by itself.
        var closed = 0
        var extra = 0
        try await eventually(
          timeout: .seconds(40),
          "the idle connections to be closed (\(closed) are; the daemon holds \(extra) more descriptors)"
        ) {
          closed = idle.filter(RawSockets.peerClosed).count
          extra = RawSockets.openDescriptors(of: setup.daemon.pid) - before
          return closed >= 512 && extra <= 5
        }
        #expect(setup.daemon.isRunning)
      }
    }

    /// NIO traps when a connection the listener accepted is dropped before it
    /// is served ("Deinited NIOAsyncWriter without calling finish()"), which
    /// cancelling the listener's task while clients keep arriving did (seen
    /// once in CI, at the end of the test above). A stop under a stream of
    /// new connections ends as a stop: exit 0, no trap.
    @Test func aStopWhileClientsKeepConnectingEndsCleanly() async throws {
      RawSockets.raiseDescriptorLimit(to: 4096)
      for round in 1...3 {
        try await withWorkspace { workspace in
          let setup = try await Self.setUp(
            workspace, api: "max_connections = 16\nidle_timeout = \"1s\"")
          let port = setup.port
          let daemon = setup.daemon
          // A rolling window of 64 connections: each new one closes the oldest.
          let stream = Task.detached {
            var open: [Int32] = []
            for _ in 0..<50_000 where daemon.isRunning {
              open.append(RawSockets.connectTCP(port: port))
              if open.count > 64 { close(open.removeFirst()) }
            }
            for fd in open where fd >= 0 { close(fd) }
          }
          try await Task.sleep(for: .milliseconds(300))
          await daemon.stop(grace: .seconds(30))
          await stream.value
          let output = daemon.output
          #expect(!output.contains("Fatal error"), "round \(round): \(output.suffix(3000))")
          #expect(
            daemon.process.terminationReason == .exit && daemon.process.terminationStatus == 0,
            "round \(round): \(output.suffix(2000))")
        }
      }
    }

    /// A client that drips a request body through the stop holds it up for
    /// the API's stop bound (5 s), not for ever: the rest of the stop (the
    /// dispatcher's own bound) goes on after it.
    @Test func aDrippingRequestHoldsUpTheStopOnlyUntilTheBound() async throws {
      try await withWorkspace { workspace in
        let setup = try await Self.setUp(workspace)
        let daemon = setup.daemon
        let fd = RawSockets.connectTCP(port: setup.port)
        defer { close(fd) }
        // One answered request first: the connection is the daemon's, not the backlog's.
        var answer: [UInt8] = []
        try await eventually(timeout: .seconds(5), "an answer to /healthz") {
          if answer.isEmpty {
            _ = RawSockets.send(
              Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8), to: fd)
          }
          answer += RawSockets.receive(from: fd)
          return String(decoding: answer, as: UTF8.self).contains("\r\n\r\n")
        }
        let head =
          "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(setup.care.token)\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{"
        #expect(RawSockets.send(Array(head.utf8), to: fd))
        let drip = Task.detached {
          for _ in 0..<400 where daemon.isRunning && RawSockets.send([0x20], to: fd) {
            try? await Task.sleep(for: .milliseconds(100))
          }
        }
        // The daemon must have read the head before the stop: a connection
        // whose request it has not begun is idle, and the stop closes it at
        // once (seen in CI: 0.04 s). Nothing can be awaited for that, so
        // the drip goes on for half a second first.
        try await Task.sleep(for: .milliseconds(500))
        let started = ContinuousClock.now
        await daemon.stop(grace: .seconds(30))
        let took = ContinuousClock.now - started
        await drip.value
        #expect(daemon.process.terminationStatus == 0, "\(daemon.output.suffix(2000))")
        #expect(took >= .seconds(4) && took < .seconds(12), "the stop took \(took)")
        #expect(daemon.output.contains("cut off"), "\(daemon.output.suffix(2000))")
      }
    }

    @Test func theIntakeSocketSurvivesDescriptorExhaustionAndSlowDripClients() async throws {
      RawSockets.raiseDescriptorLimit(to: 4096)
      try await withWorkspace { workspace in
        let setup = try await Self.setUp(workspace)
        let socketPath = workspace.dataDirectory + "/commsd.sock"
        _ = try await workspace.send(["--audience", "relatives", "--subject", "A", "--body", "a"])
        // Leave the daemon a handful of free descriptors, and hold connections until accept fails.
        let pid = setup.daemon.pid
        try await RawSockets.setDescriptorLimit(
          of: pid, to: RawSockets.openDescriptors(of: pid) + 6)
        let held = (0..<40).map { _ in RawSockets.connectUnix(path: socketPath) }
        try await eventually(timeout: .seconds(10), "accept to fail with EMFILE") {
          setup.daemon.output.contains("the intake socket cannot accept")
        }
        #expect(setup.daemon.output.contains("Too many open files"))
        for fd in held where fd >= 0 { close(fd) }
        try await RawSockets.setDescriptorLimit(of: pid, to: RawSockets.descriptorLimit)
        // The episode is over: a real send goes through again.
        let between = try await workspace.send([
          "--audience", "relatives", "--subject", "B", "--body", "b",
        ])
        #expect(try await workspace.waitUntilFinal(between).counts == ["delivered": 1])

        // 200 clients announce 4 MiB and drip a byte every 200 ms: each is cut
        // off at its request deadline, not kept while it drips. A connect
        // that finds the backlog full (64 served, 64 waiting) tries again.
        let header: [UInt8] = [0x00, 0x40, 0x00, 0x00]
        var drips: [Int32] = []
        for _ in 0..<200 {
          for _ in 0..<50 {
            let fd = RawSockets.connectUnix(path: socketPath)
            if fd >= 0 {
              drips.append(fd)
              break
            }
            try await Task.sleep(for: .milliseconds(10))
          }
        }
        defer { for fd in drips { close(fd) } }
        #expect(drips.count >= 128, "only \(drips.count) could connect")
        for fd in drips { _ = RawSockets.send(header, to: fd) }
        var open = Set(drips)
        let deadline = ContinuousClock.now + .seconds(40)
        while !open.isEmpty && ContinuousClock.now < deadline {
          for fd in open where RawSockets.peerClosed(fd) || !RawSockets.send([0x7B], to: fd) {
            open.remove(fd)
          }
          try await Task.sleep(for: .milliseconds(200))
        }
        #expect(open.isEmpty, "\(open.count) slow-drip clients are still connected")

        let id = try await workspace.send([
          "--audience", "relatives", "--subject", "Efter", "--body", "Efter angrebet",
        ])
        #expect(try await workspace.waitUntilFinal(id).counts == ["delivered": 1])
        #expect(setup.daemon.isRunning)
      }
    }

    @Test func aValidTokenIsAnsweredWhileItsAddressIsFloodedAndTheFloodCostsFewWrites()
      async throws
    {
      try await withWorkspace { workspace in
        let setup = try await Self.setUp(workspace)
        let request =
          "GET /v1/messages/msg_x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer cmsd_wrong\r\nConnection: close\r\n\r\n"
        var statuses = try await RawSockets.concurrentRequests(
          port: setup.port, count: 150, request: request)
        statuses += try await RawSockets.concurrentRequests(
          port: setup.port, count: 50, request: request)
        #expect(statuses.allSatisfy { $0 == 401 || $0 == 429 }, "\(statuses)")
        #expect(statuses.contains(429))  // the address is blocked now

        let started = ContinuousClock.now
        let answer = try await setup.client.call(
          "POST", "/v1/messages", token: setup.care.token, json: Self.visit)
        #expect(answer.status == 202, "\(answer.text)")
        #expect(ContinuousClock.now - started < .seconds(2))
        let id = try #require(answer.json["id"] as? String)
        #expect(try await workspace.waitUntilFinal(id).counts == ["delivered": 1])

        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        let single = try await store.auditEvents(kinds: ["request.refused"]).count
        #expect(single <= 10, "\(single) refusals written one by one")
        // On stop, the rest are written as one summary: every refusal counted.
        await setup.daemon.stop()
        let summaries = try await store.auditEvents(kinds: ["request.refused.repeated"]).map(
          \.event)
        let counted = summaries.compactMap { Int($0.detail["not_written"] ?? "") }.reduce(0, +)
        #expect(
          single + counted == 200,
          "\(single) written, \(counted) in \(summaries); daemon: \(setup.daemon.output)")
      }
    }

    @Test func metricsNeedATokenUnlessConfiguredPublic() async throws {
      try await withWorkspace { workspace in
        let setup = try await Self.setUp(workspace)
        let without = try await setup.client.call("GET", "/metrics")
        #expect(without.status == 401)
        #expect(!without.text.contains("commsd_deliveries"))
        let with = try await setup.client.call("GET", "/metrics", token: setup.care.token)
        #expect(with.status == 200)
        #expect(with.text.contains("commsd_up 1\n"))
      }
    }

    static let hookSource = """
      [hooks.carebook]
      secret = "whsec_c2VjcmV0LWZvci10aGUtY2FyZS1zeXN0ZW0tdGVzdHM="
      audiences = ["relatives"]
      subject = "{{title}}"
      body = "{{text}}"

      """

    @Test func anUnknownHookSourceIsAnsweredExactlyLikeABadSignature() async throws {
      try await withWorkspace { workspace in
        let setup = try await Self.setUp(workspace, more: Self.hookSource)
        let body = #"{"title":"x","text":"y"}"#
        let now = Int(Date().timeIntervalSince1970)
        func post(_ source: String, _ id: String) async throws -> APIClient.Answer {
          try await setup.client.call(
            "POST", "/v1/hooks/\(source)", body: Data(body.utf8),
            headers: [
              "webhook-id": id, "webhook-timestamp": String(now),
              "webhook-signature": "v1,bm90LWEtc2lnbmF0dXJlLWF0LWFsbC1hdC1hbGwtYXQtYWxsLQ==",
              "Content-Type": "application/json",
            ])
        }
        let known = try await post("carebook", "evt_1")
        let unknown = try await post("nosuch", "evt_2")
        #expect(known.status == 401 && unknown.status == 401)
        #expect(known.text == unknown.text, "\(known.text) vs \(unknown.text)")
        #expect(
          known.headers["www-authenticate"]?.replacingOccurrences(of: "carebook", with: "X")
            == unknown.headers["www-authenticate"]?.replacingOccurrences(of: "nosuch", with: "X"))
        #expect(Set(known.headers.keys) == Set(unknown.headers.keys))
      }
    }

    @Test func aStalledTLSHandshakeIsCutOffAndTLSBelow12IsRefused() async throws {
      try await withWorkspace { workspace in
        let certificate = workspace.directory + "/cert.pem"
        let key = workspace.directory + "/key.pem"
        let made = try await runCommand(
          "/usr/bin/openssl",
          [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", certificate,
          ])
        #expect(made.status == 0, "\(made.stderr)")
        let port = try freePort()
        try workspace.writeConfig(
          smtpPort: nil, httpPort: 9, recipients: Self.recipients,
          extra: """
            [api]
            listen = "127.0.0.1:\(port)"
            tls_certificate = "cert.pem"
            tls_key = "key.pem"
            tls_handshake_timeout = "1s"
            """)
        _ = try workspace.startDaemon()
        func handshake(_ version: String) async throws -> CommandResult {
          try await runCommand(
            "/usr/bin/openssl",
            [
              "s_client", "-connect", "127.0.0.1:\(port)", version, "-cipher", "DEFAULT@SECLEVEL=0",
            ], timeout: .seconds(10))
        }
        try await eventually(timeout: .seconds(30), "the API to speak TLS 1.2") {
          try await handshake("-tls1_2").status == 0
        }
        let old = try await handshake("-tls1_1")
        #expect(old.status != 0, "a TLS 1.1 handshake succeeded: \(old.stdout)")

        // A client that connects and says nothing is cut off after 1 s, not
        // after the 30 s idle timeout.
        let silent = RawSockets.connectTCP(port: port)
        defer { close(silent) }
        let started = ContinuousClock.now
        try await eventually(timeout: .seconds(5), "the silent connection to be closed") {
          RawSockets.peerClosed(silent)
        }
        #expect(ContinuousClock.now - started < .seconds(4))
      }
    }
  }
}
