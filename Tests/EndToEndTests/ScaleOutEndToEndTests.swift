import CommsCore
import Foundation
import PostgresTestSupport
import Testing

extension EndToEnd {
  /// Several `commsd serve` nodes on one PostgreSQL database, 20,000
  /// deliveries to a real HTTP receiver: each arrives exactly once while the
  /// nodes run, and at least once — duplicates only among what the dead
  /// node had in flight — when one is killed mid-run.
  @Suite struct ScaleOut {
    /// 2,000 people, 10 messages: 20,000 deliveries.
    static let people = 2_000
    static let messages = 10

    /// A cluster of `nodes` on a fresh database: node 1 on the workspace's
    /// configuration, the others on copies with data directories of their own.
    func startCluster(
      _ workspace: Workspace, nodes: Int, receiver: Receiver, lease: String = "5m",
      pollInterval: String = "100ms", people: Int = Self.people, audiences: String? = nil,
      hookRate: Int? = nil
    ) throws -> (database: String, nodes: [ChildProcess]) {
      let database = try TestPostgres.freshDatabase()
      let list = (1...people).map { "p\($0),Person \($0),staff,hook:p\($0)" }
      try (["id,name,audiences,contacts"] + list).joined(separator: "\n")
        .write(toFile: workspace.directory + "/people.csv", atomically: true, encoding: .utf8)
      try workspace.writeConfig(
        smtpPort: nil, httpPort: receiver.port, recipients: "",
        extra: """
          store = "\(database)"
          recipient_lists = ["people.csv"]
          """, maxInFlight: 128, endpointConcurrency: 48, audiences: audiences,
        dispatch: "lease = \"\(lease)\"", pollInterval: pollInterval)
      var text = try String(contentsOfFile: workspace.configPath, encoding: .utf8)
      if let hookRate {
        text = text.replacingOccurrences(
          of: "[endpoints.hook]\n", with: "[endpoints.hook]\nrate = \(hookRate)\n")
        try text.write(toFile: workspace.configPath, atomically: true, encoding: .utf8)
      }
      var started: [ChildProcess] = []
      for node in 1...nodes {
        var config = workspace.configPath
        if node > 1 {
          config = workspace.directory + "/node\(node).toml"
          try text.replacingOccurrences(of: "data_dir = \"var\"", with: "data_dir = \"var\(node)\"")
            .write(toFile: config, atomically: true, encoding: .utf8)
        }
        started.append(try workspace.startDaemon(name: "node\(node)", config: config))
      }
      return (database, started)
    }

    /// Sends the ten messages through node 1 (any node takes intake).
    func sendMessages(_ workspace: Workspace) async throws -> [String] {
      try await eventually(timeout: .seconds(30), "node 1's intake socket") {
        FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
      }
      var ids: [String] = []
      for index in 1...Self.messages {
        ids.append(
          try await workspace.send([
            "--audience", "staff", "--subject", "Situationsbillede \(index)", "--body",
            "Status \(index).",
          ]))
      }
      return ids
    }

    func count(_ database: String, _ sql: String) throws -> Int {
      Int(try TestPostgres.psql(database, sql)) ?? -1
    }

    func waitUntilAllDelivered(_ database: String) async throws {
      let total = Self.people * Self.messages
      try await eventually(timeout: .seconds(240), "all \(total) deliveries delivered") {
        try count(database, "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'") == total
      }
    }

    /// How often each delivery id arrived, and the ids the store holds.
    func arrivals(_ receiver: Receiver, _ database: String) throws -> (
      arrivals: [String: Int], all: Set<String>
    ) {
      var arrivals: [String: Int] = [:]
      for hook in receiver.webhooks { arrivals[hook.webhookID, default: 0] += 1 }
      let all = Set(
        try TestPostgres.psql(database, "SELECT id FROM deliveries").split(separator: "\n")
          .map(String.init))
      return (arrivals, all)
    }

    func deliverExactlyOnce(nodes: Int) async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let (database, started) = try startCluster(workspace, nodes: nodes, receiver: http)
        defer { TestPostgres.drop(database) }
        _ = try await sendMessages(workspace)
        try await waitUntilAllDelivered(database)
        let (arrivals, all) = try arrivals(http, database)
        #expect(all.count == Self.people * Self.messages)
        #expect(Set(arrivals.keys) == all, "every delivery arrived")
        #expect(arrivals.values.allSatisfy { $0 == 1 }, "none arrived twice")
        // The work was shared: every node sent some.
        for node in started {
          let sent = try count(
            database,
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'delivery.delivered' AND actor LIKE '%:\(node.pid):%'"
          )
          #expect(sent > 0, "\(node.name) delivered nothing")
        }
        // Bulletins 1 to 10, and one audit chain.
        #expect(
          try TestPostgres.psql(
            database, "SELECT string_agg(number::text, ',' ORDER BY number) FROM message_bulletins")
            == (1...Self.messages).map(String.init).joined(separator: ","))
        let verify = try await workspace.commsd(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        for node in started { await node.stop() }
      }
    }

    @Test func twoNodesDeliverEachOfTwentyThousandExactlyOnce() async throws {
      try await deliverExactlyOnce(nodes: 2)
    }

    @Test func threeNodesDeliverEachOfTwentyThousandExactlyOnce() async throws {
      try await deliverExactlyOnce(nodes: 3)
    }

    @Test func aNodeKilledMidRunLosesNothingAndDuplicatesOnlyWhatItHadInFlight() async throws {
      try await withWorkspace { workspace in
        // Slow answers, so that the node dies with many transfers truly in flight.
        let http = workspace.adopt(
          try await Receiver.http(directory: workspace.directory, arguments: ["--delay-ms", "5"]))
        let (database, started) = try startCluster(
          workspace, nodes: 2, receiver: http, lease: "5s")
        defer { TestPostgres.drop(database) }
        _ = try await sendMessages(workspace)
        let victim = started[1]
        try await eventually(timeout: .seconds(120), "the second node to be sending") {
          try count(
            database,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'sending' AND lease_owner LIKE '%:\(victim.pid):%'"
          ) > 0 && http.count >= 3_000
        }
        victim.kill9()
        // A statement the victim had sent before it died (a lease, an
        // outcome) is still carried out: wait until PostgreSQL has ended its
        // sessions, so that the snapshot below is what the kill left.
        try await eventually(timeout: .seconds(30), "the dead node's sessions to end") {
          try count(
            database,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'commsd pid \(victim.pid)'"
          ) == 0
        }
        // Its leases, as the kill left them: only these may arrive twice.
        let inFlight = Set(
          try TestPostgres.psql(
            database,
            "SELECT id FROM deliveries WHERE state = 'sending' AND lease_owner LIKE '%:\(victim.pid):%'"
          ).split(separator: "\n").map(String.init))
        #expect(!inFlight.isEmpty)
        try await waitUntilAllDelivered(database)
        let (arrivals, all) = try arrivals(http, database)
        #expect(Set(arrivals.keys) == all, "every delivery arrived")
        // Every arrival is an attempt: the ones recorded (a retry after a
        // timeout may follow an arrival the receiver did get), plus the
        // dead node's unrecorded one. An arrival beyond that would be a send
        // without a lease.
        let attempts = recordedAttempts(
          try TestPostgres.psql(database, "SELECT id || ' ' || attempts FROM deliveries"))
        let unaccounted = arrivals.filter { id, count in
          count > (attempts[id] ?? 0) + (inFlight.contains(id) ? 1 : 0)
        }
        let duplicates = Set(arrivals.filter { $0.value > 1 }.keys)
        let why = {
          let returns =
            (try? TestPostgres.psql(
              database,
              """
              SELECT detail, COUNT(*) FROM audit_events WHERE kind = 'delivery.lease_returned'
              GROUP BY detail
              """)) ?? "?"
          let said = started[0].output.split(separator: "\n").filter { $0.contains("lease") }
            .suffix(10).joined(separator: "\n")
          return Comment(
            rawValue:
              "in flight at the kill \(inFlight.count), duplicates \(duplicates.count) "
              + "(outside it \(duplicates.subtracting(inFlight).count)), retried "
              + "\(attempts.values.count { $0 > 1 }), unaccounted \(unaccounted.prefix(5)); "
              + "returns: \(returns); survivor: \(said)")
        }()
        #expect(
          unaccounted.isEmpty,
          "duplicates only among the dead node's in flight and those retried; \(why)")
        // The survivor took the dead node's leases back once they ran out.
        #expect(
          try count(
            database,
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'delivery.lease_returned' AND detail LIKE '%lease expired%'"
          ) == inFlight.count, why)
        let verify = try await workspace.commsd(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        await started[0].stop()
      }
    }

    /// A node killed and started again on its host takes back its earlier
    /// run's leases at once (its pid is gone in the same boot and pid
    /// namespace), not after the 5-minute lease.
    @Test func aNodeRestartedOnItsHostTakesItsEarlierRunsLeasesBackAtOnce() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(
          try await Receiver.http(directory: workspace.directory, arguments: ["--delay-ms", "400"]))
        let (database, started) = try startCluster(
          workspace, nodes: 1, receiver: http, lease: "5m", people: 100)
        defer { TestPostgres.drop(database) }
        try await eventually(timeout: .seconds(30), "the intake socket") {
          FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
        }
        _ = try await workspace.send([
          "--audience", "staff", "--subject", "Vand", "--body", "Kog vandet.",
        ])
        let victim = started[0]
        try await eventually(timeout: .seconds(30), "the node to be sending") {
          try count(
            database,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'sending' AND lease_owner LIKE '%:\(victim.pid):%'"
          ) > 0
        }
        victim.kill9()
        try await Task.sleep(for: .milliseconds(500))
        let held = try count(
          database,
          "SELECT COUNT(*) FROM deliveries WHERE state = 'sending' AND lease_owner LIKE '%:\(victim.pid):%'"
        )
        #expect(held > 0)
        let again = try workspace.startDaemon(name: "node1-again")
        try await eventually(timeout: .seconds(60), "all 100 delivered well within the lease") {
          try count(database, "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'") == 100
        }
        #expect(
          try count(
            database,
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'delivery.lease_returned' AND detail LIKE '%restarted on this host%'"
          ) == held)
        await again.stop()
      }
    }

    /// Issue 16: behind an endpoint that takes one message a second, 30
    /// deliveries wait up to 30 s in a node's buffer, longer than their 20 s
    /// lease. The node renews what it holds, so neither it nor the other
    /// node takes them back when the first lease would have run out: each
    /// is sent exactly once.
    @Test func deliveriesWaitingLongerThanTheirLeaseAreSentExactlyOnce() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        var (database, started) = try startCluster(
          workspace, nodes: 1, receiver: http, lease: "20s", people: 30, hookRate: 1)
        defer { TestPostgres.drop(database) }
        try await eventually(timeout: .seconds(30), "node 1's intake socket") {
          FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
        }
        _ = try await workspace.send([
          "--audience", "staff", "--subject", "Vand", "--body", "Kog vandet.",
        ])
        // Node 1 holds all 30 (one lease); node 2 comes to take what runs out.
        try await eventually(timeout: .seconds(20), "node 1 to lease all 30") {
          try count(
            database,
            "SELECT COUNT(*) FROM deliveries WHERE state IN ('sending', 'delivered')") == 30
        }
        let second = workspace.directory + "/node2.toml"
        try String(contentsOfFile: workspace.configPath, encoding: .utf8)
          .replacingOccurrences(of: "data_dir = \"var\"", with: "data_dir = \"var2\"")
          .write(toFile: second, atomically: true, encoding: .utf8)
        started.append(try workspace.startDaemon(name: "node2", config: second))
        try await eventually(timeout: .seconds(75), "all 30 deliveries delivered") {
          try count(database, "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'") == 30
        }
        // A second taker would have sent by now: its lease came at the first's end.
        try await Task.sleep(for: .seconds(2))
        let (arrivals, all) = try arrivals(http, database)
        #expect(all.count == 30)
        #expect(Set(arrivals.keys) == all, "every delivery arrived")
        let twice = arrivals.filter { $0.value > 1 }
        #expect(twice.isEmpty, "sent more than once: \(twice)")
        // It took longer than a lease, and the leases were renewed, never returned.
        #expect(
          try count(
            database, "SELECT COUNT(*) FROM audit_events WHERE kind = 'delivery.lease_renewed'")
            > 0)
        #expect(
          try count(
            database, "SELECT COUNT(*) FROM audit_events WHERE kind = 'delivery.lease_returned'")
            == 0)
        for node in started { await node.stop() }
      }
    }

    /// Integrators reach whichever node the load balancer picks: a message
    /// posted to node 2 is sent once, the same request with the same
    /// Idempotency-Key at node 1 gives the same message, and node 1 answers
    /// for its deliveries.
    @Test func eitherNodesAPITakesMessagesAndAnswersForAll() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let database = try TestPostgres.freshDatabase()
        defer { TestPostgres.drop(database) }
        let token = TestToken(name: "integrator", audiences: ["staff"])
        let ports = [try freePort(), try freePort()]
        let people = (1...20).map {
          recipient("s\($0)", "Person \($0)", audiences: ["staff"], contacts: ["hook:s\($0)"])
        }.joined()
        try workspace.writeConfig(
          smtpPort: nil, httpPort: http.port, recipients: people,
          extra: "store = \"\(database)\"\n" + Workspace.apiSection(port: ports[0], tokens: [token])
        )
        let text = try String(contentsOfFile: workspace.configPath, encoding: .utf8)
        let second = workspace.directory + "/node2.toml"
        try text.replacingOccurrences(of: "data_dir = \"var\"", with: "data_dir = \"var2\"")
          .replacingOccurrences(of: "127.0.0.1:\(ports[0])", with: "127.0.0.1:\(ports[1])")
          .write(toFile: second, atomically: true, encoding: .utf8)
        let clients = ports.map { APIClient(base: "http://127.0.0.1:\($0)") }
        var nodes = [try workspace.startDaemon(name: "node1")]
        nodes.append(try workspace.startDaemon(name: "node2", config: second))
        for client in clients {
          try await eventually(timeout: .seconds(30), "\(client.base) to be ready") {
            (try? await client.call("GET", "/readyz"))?.status == 200
          }
        }
        let body = #"{"audiences":["staff"],"subject":"Vand","body":"Kog vandet."}"#
        let key = ["Idempotency-Key": "vand-2026-12-02"]
        let posted = try await clients[1].call(
          "POST", "/v1/messages", token: token.token, json: body, headers: key)
        #expect(posted.status == 202, "\(posted.text)")
        let id = try #require(posted.json["id"] as? String)
        let again = try await clients[0].call(
          "POST", "/v1/messages", token: token.token, json: body, headers: key)
        #expect(again.json["id"] as? String == id, "\(again.text)")
        try await eventually(timeout: .seconds(60), "20 deliveries over either node") {
          let status = try await clients[0].call("GET", "/v1/messages/\(id)", token: token.token)
          return (status.json["counts"] as? [String: Any])?["delivered"] as? Int == 20
        }
        let arrivals = Dictionary(grouping: http.webhooks, by: \.webhookID)
        #expect(arrivals.count == 20)
        #expect(arrivals.values.allSatisfy { $0.count == 1 })
        for node in nodes { await node.stop() }
      }
    }

    /// With a poll interval of a minute, the second node still joins in at
    /// once: the first node's commit wakes it (LISTEN/NOTIFY).
    @Test func theOtherNodeIsWokenByNotificationsNotByPolling() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(
          try await Receiver.http(directory: workspace.directory, arguments: ["--delay-ms", "2"]))
        let (database, started) = try startCluster(
          workspace, nodes: 2, receiver: http, pollInterval: "60s")
        defer { TestPostgres.drop(database) }
        try await eventually(timeout: .seconds(30), "node 1's intake socket") {
          FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
        }
        // Both nodes have made their first look at the store and now wait.
        try await Task.sleep(for: .seconds(2))
        let sent = ContinuousClock.now
        _ = try await workspace.send(["--audience", "staff", "--subject", "Nu", "--body", "Nu."])
        try await eventually(timeout: .seconds(20), "both nodes to deliver") {
          try count(
            database,
            "SELECT COUNT(DISTINCT actor) FROM audit_events WHERE kind = 'delivery.delivered'") == 2
        }
        #expect(ContinuousClock.now - sent < .seconds(20), "well within the 60 s poll")
        try await eventually(timeout: .seconds(60), "all 2,000 delivered") {
          try count(database, "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'")
            == Self.people
        }
        for node in started { await node.stop() }
      }
    }

    /// A cap of one message a day per person holds across nodes: three
    /// messages taken by two nodes reach each person once, the other two
    /// are held (one node plans at a time, with every node's deliveries in
    /// the history it weighs).
    @Test func aPerPersonCapHoldsAcrossNodes() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(try await Receiver.http(directory: workspace.directory))
        let (database, started) = try startCluster(
          workspace, nodes: 2, receiver: http, people: 50,
          audiences: """
            [audiences.staff]
            display_name = "Personale"
            dosing.quiet_hours = "none"
            dosing.cap = 1
            dosing.cap_window = "24h"
            """)
        defer { TestPostgres.drop(database) }
        let second = workspace.directory + "/node2.toml"
        try await eventually(timeout: .seconds(30), "both intake sockets") {
          FileManager.default.fileExists(atPath: workspace.dataDirectory + "/commsd.sock")
            && FileManager.default.fileExists(atPath: workspace.directory + "/var2/commsd.sock")
        }
        try await withThrowingTaskGroup(of: CommandResult.self) { group in
          for (index, config) in [workspace.configPath, second, workspace.configPath].enumerated() {
            group.addTask {
              try await runCommand(
                Paths.commsd,
                [
                  "send", "--config", config, "--audience", "staff", "--priority", "normal",
                  "--subject", "Besked \(index)", "--body", "Tekst \(index).",
                ])
            }
          }
          for try await result in group { #expect(result.status == 0, "\(result.stderr)") }
        }
        try await eventually(timeout: .seconds(60), "50 delivered, 100 held for the cap") {
          try count(database, "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'") == 50
            && count(database, "SELECT COUNT(*) FROM deliveries WHERE state = 'held'") == 100
        }
        #expect(
          try count(
            database,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'held' AND hold_reason NOT LIKE 'cap%'")
            == 0)
        let perPerson = Dictionary(grouping: http.webhooks) {
          $0.payload["contact"] as? String ?? ""
        }
        .mapValues(\.count)
        #expect(perPerson.count == 50)
        #expect(perPerson.values.allSatisfy { $0 == 1 }, "one message per person")
        for node in started { await node.stop() }
      }
    }

    /// A node killed and started again on the same host takes its earlier
    /// run's leases back at once, not after the 5-minute lease.
    @Test func aNodeRestartedOnItsHostTakesItsOldLeasesBackAtOnce() async throws {
      try await withWorkspace { workspace in
        let http = workspace.adopt(
          try await Receiver.http(directory: workspace.directory, arguments: ["--delay-ms", "20"]))
        let (database, started) = try startCluster(
          workspace, nodes: 1, receiver: http, people: 1_000)
        defer { TestPostgres.drop(database) }
        _ = try await workspace.send(["--audience", "staff", "--subject", "Nu", "--body", "Nu."])
        try await eventually(timeout: .seconds(60), "transfers in flight") {
          let sending = try count(
            database, "SELECT COUNT(*) FROM deliveries WHERE state = 'sending'")
          return http.count >= 100 && sending > 0
        }
        started[0].kill9()
        let inFlight = try count(
          database, "SELECT COUNT(*) FROM deliveries WHERE state = 'sending'")
        let restarted = try workspace.startDaemon(name: "node1-again")
        try await eventually(
          timeout: .seconds(60), "all 1,000 delivered well before the lease ends"
        ) {
          try count(database, "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'") == 1_000
        }
        #expect(
          try count(
            database,
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'delivery.lease_returned' AND detail LIKE '%node that held it ended%'"
          ) == inFlight)
        await restarted.stop()
      }
    }
  }
}
