import CommsCore
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension EndToEnd {
  /// The daemon as a systemd service: the notify protocol, and stopping.
  @Suite struct Service {
    @Test func systemdHearsReadyWatchdogAndStoppingInOrder() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"]))
        let notify = try NotifySocket(path: workspace.directory + "/notify.sock")
        defer { notify.close() }
        let daemon = try workspace.startDaemon(
          environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        try await eventually(timeout: .seconds(30), "READY=1 and then two watchdog pings") {
          let lines = notify.lines
          guard let ready = lines.firstIndex(of: "READY=1") else { return false }
          return lines[ready...].filter { $0 == "WATCHDOG=1" }.count >= 2
        }
        // The queue is reported with READY.
        #expect(notify.lines.contains { $0.hasPrefix("STATUS=queued 0, held 0, in flight 0") })
        await daemon.stop()
        #expect(daemon.process.terminationStatus == 0, "\(daemon.output)")
        let lines = notify.lines.filter {
          $0 == "READY=1" || $0 == "WATCHDOG=1" || $0 == "STOPPING=1"
        }
        let ready = try #require(lines.firstIndex(of: "READY=1"))
        let stopping = try #require(lines.firstIndex(of: "STOPPING=1"))
        #expect(ready == 0, "\(lines)")
        #expect(lines[ready..<stopping].contains("WATCHDOG=1"))
        #expect(
          lines.filter { $0 == "READY=1" || $0 == "STOPPING=1" } == ["READY=1", "STOPPING=1"])
      }
    }

    /// A configuration that does not parse: its table header on line 2 is
    /// not closed.
    static let brokenConfiguration = "data_dir = \"var\"\n[audiences.staff\n"

    /// A reload asked for the moment the daemon answers (its intake socket
    /// exists) is carried out, not lost: SIGHUP is trapped before anything
    /// listens. Rounds, each asking as soon as the socket shows, polled
    /// every millisecond: the reload service starts after the socket.
    @Test func aReloadAskedForAsSoonAsTheDaemonAnswersIsCarriedOut() async throws {
      for round in 1...4 {
        try await withWorkspace { workspace in
          let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
          try workspace.writeConfig(
            smtpPort: nil, httpPort: http.port,
            recipients: recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"])
          )
          let socket = workspace.dataDirectory + "/commsd.sock"
          let daemon = try workspace.startDaemon()
          let deadline = ContinuousClock.now + .seconds(20)
          while !FileManager.default.fileExists(atPath: socket), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
          }
          try Self.brokenConfiguration.write(
            toFile: workspace.configPath, atomically: true, encoding: .utf8)
          kill(daemon.pid, SIGHUP)
          let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
          try await eventually(
            timeout: .seconds(10), "round \(round): the refusal in the audit log"
          ) {
            try await store.auditEvents(kinds: ["config.refused"]).contains {
              $0.event.detail["scope"] == "signal"
            }
          }
          #expect(daemon.isRunning)
        }
      }
    }

    @Test func aReloadWithABrokenConfigurationKeepsTheRunningOneAndIsAudited() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let one = recipient("s1", "Mette Hansen", audiences: ["staff"], contacts: ["hook:s1"])
        try workspace.writeConfig(smtpPort: nil, httpPort: http.port, recipients: one)
        // The CLI reads its own copy; the daemon validates with what it runs.
        let sender = workspace.directory + "/sender.toml"
        try FileManager.default.copyItem(atPath: workspace.configPath, toPath: sender)
        let daemon = try workspace.startDaemon()
        try await eventually(timeout: .seconds(20), "the intake socket") {
          FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
        }
        let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
        func events(_ kind: String) async throws -> [AuditEvent] {
          try await store.auditEvents(kinds: [kind]).map(\.event).filter {
            $0.detail["scope"] == "signal"
          }
        }

        try Self.brokenConfiguration.write(
          toFile: workspace.configPath, atomically: true, encoding: .utf8)
        kill(daemon.pid, SIGHUP)
        try await eventually(timeout: .seconds(10), "the refusal in the audit log") {
          try await !events("config.refused").isEmpty
        }
        let refusal = try #require(try await events("config.refused").first)
        #expect(refusal.detail["errors"]?.contains("commsd.toml:2") == true, "\(refusal.detail)")
        #expect(daemon.isRunning)
        let first = try #require(
          try await runCommand(
            Paths.commsd,
            ["send", "--config", sender, "--audience", "staff", "--subject", "A", "--body", "a"]
          ).stdout.split(separator: "\n").first.map(String.init))
        // (`commsd status` would read the broken file for the data directory.)
        try await eventually(timeout: .seconds(30), "the first message delivered") {
          try await store.status(of: MessageID(rawValue: first))?.counts == ["delivered": 1]
        }

        // A good one is taken: the new recipient gets the next message.
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port,
          recipients: one
            + recipient("s2", "Søren Østergaard", audiences: ["staff"], contacts: ["hook:s2"]))
        try FileManager.default.removeItem(atPath: sender)
        try FileManager.default.copyItem(atPath: workspace.configPath, toPath: sender)
        kill(daemon.pid, SIGHUP)
        try await eventually(timeout: .seconds(10), "the reload in the audit log") {
          try await !events("config.reloaded").isEmpty
        }
        let second = try await workspace.send([
          "--audience", "staff", "--subject", "B", "--body", "b",
        ])
        #expect(try await workspace.waitUntilFinal(second).counts == ["delivered": 2])
        #expect(
          http.webhooks.compactMap { $0.payload["contact"] as? String }.sorted()
            == ["s1", "s1", "s2"])
      }
    }

    /// The API's port is taken (here by the webhook receiver): the daemon
    /// exits with the reason, and nothing waiting in the store is planned or
    /// sent first, since planning and dispatch start only once every
    /// listener is bound.
    @Test func aPortThatCannotBeBoundStopsTheStartBeforeAnythingIsSent() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port, recipients: staff(3),
          extra: Workspace.apiSection(
            port: http.port, tokens: [TestToken(name: "ops", audiences: ["staff"])]))
        // Sent with no daemon running: the command writes the store itself.
        let id = try await workspace.send([
          "--audience", "staff", "--priority", "flash", "--subject", "Vand", "--body", "Kog det.",
        ])
        let daemon = try workspace.startDaemon()
        try await eventually(timeout: .seconds(30), "the daemon to give up") { !daemon.isRunning }
        #expect(daemon.process.terminationStatus != 0, "\(daemon.output)")
        #expect(!daemon.output.contains("commsd is running"), "\(daemon.output)")
        #expect(try await workspace.status(id).deliveries.isEmpty, "planned before the API bound")
        #expect(http.webhooks.isEmpty)
      }
    }

    /// A daemon sending one message to `people` staff through a webhook
    /// receiver that answers after `answerAfter` milliseconds, once every
    /// one of the deliveries is in flight.
    static func allInFlight(
      _ workspace: Workspace, people: Int, answerAfter: String, stopTimeout: String
    ) async throws -> (http: Receiver, daemon: ChildProcess, id: String) {
      let http = workspace.adopt(
        try await Receiver.http(
          directory: workspace.directory, arguments: ["--delay-ms", answerAfter]))
      try workspace.writeConfig(
        smtpPort: nil, httpPort: http.port, recipients: staff(people),
        maxInFlight: max(64, people), endpointConcurrency: people, stopTimeout: stopTimeout)
      let daemon = try workspace.startDaemon()
      let id = try await workspace.send([
        "--audience", "staff", "--subject", "Evakuering", "--body", "Mød op.",
      ])
      let store = try SQLiteStore(path: workspace.dataDirectory + "/commsd.sqlite")
      try await eventually(timeout: .seconds(60), "\(people) deliveries in flight") {
        try await store.queueCounts().inFlight == people
      }
      return (http, daemon, id)
    }

    /// SIGTERM while transfers to a slow endpoint are in flight, with time
    /// enough to finish them: the daemon waits for them and writes their
    /// outcomes before it exits, so none is left `sending` to go again.
    @Test func aStopLetsTheTransfersInFlightFinishAndRecordsThem() async throws {
      try await withWorkspace { workspace in
        let (http, daemon, id) = try await Self.allInFlight(
          workspace, people: 20, answerAfter: "1500", stopTimeout: "20s")
        await daemon.stop(grace: .seconds(30))
        #expect(daemon.process.terminationStatus == 0, "\(daemon.output)")
        #expect(!daemon.output.contains("stop bound reached"), "\(daemon.output)")
        // Written by the daemon before it exited: none runs now.
        #expect(try await workspace.status(id).counts == ["delivered": 20])
        #expect(http.webhooks.count == 20)
      }
    }

    /// SIGTERM with 1,000 transfers in flight to a slow endpoint: the daemon
    /// exits 0 within its stop bound, and after a restart every delivery
    /// arrives (again only if it was in flight at the stop: at-least-once).
    @Test func aStopWithAThousandInFlightIsCleanAndNothingIsLost() async throws {
      try await withWorkspace { workspace in
        let (http, daemon, id) = try await Self.allInFlight(
          workspace, people: 1000, answerAfter: "4000", stopTimeout: "2s")
        let atStop = try await workspace.status(id)
        let inFlight = Set(atStop.deliveries.filter { $0.state == "sending" }.map(\.id))
        #expect(inFlight.count == 1000)

        let started = ContinuousClock.now
        await daemon.stop(grace: .seconds(15))
        let took = ContinuousClock.now - started
        #expect(daemon.process.terminationStatus == 0, "\(daemon.output)")
        #expect(took < .seconds(7), "stop took \(took) with a 2 s bound")
        #expect(daemon.output.contains("stop bound reached"))

        _ = try workspace.startDaemon(name: "daemon-restarted")
        let status = try await workspace.waitUntilFinal(id, timeout: .seconds(120))
        #expect(status.counts == ["delivered": 1000])
        var arrivals: [String: Int] = [:]
        for hook in http.webhooks { arrivals[hook.webhookID, default: 0] += 1 }
        #expect(Set(arrivals.keys) == Set(status.deliveries.map(\.id)), "every delivery arrived")
        #expect(Set(arrivals.filter { $0.value > 1 }.keys).isSubset(of: inFlight))
      }
    }
  }
}
