import CommsCore
import Foundation
import PostgresTestSupport
import Synchronization
import Testing

extension EndToEnd {
  /// Issue 27: a PostgreSQL primary with a synchronous standby, two nodes on
  /// the multi-host URL. The primary dies (`kill -9` of all its processes)
  /// while one message goes to 20,000 webhooks and an integrator posts a
  /// message every 50 ms; the standby is promoted. Nothing answered 202 is
  /// lost, every delivery arrives, duplicates only among the leases held at
  /// the kill, bulletins stay gapless, the chain verifies, both nodes work
  /// on without a restart — and none turns to the old primary when it comes
  /// back as a standby.
  @Suite struct Failover {
    static let people = 20_000
    static let councillors = 4

    @Test func nothingAcceptedIsLostWhenThePrimaryDiesAndTheStandbyTakesOver() async throws {
      let pair = try TestPostgresPair()
      defer { pair.stop() }
      try TestPostgres.psql(pair.first.url(), "CREATE DATABASE commsd")
      try await withWorkspace { workspace in
        let http = workspace.adopt(
          try await Receiver.http(directory: workspace.directory, arguments: ["--delay-ms", "2"]))
        let cluster = try FailoverCluster(workspace: workspace, pair: pair, receiver: http)
        try await cluster.waitUntilReady()
        let fanOut = try await cluster.post(
          #"{"audiences":["staff"],"subject":"Vandforsyning","body":"Kog vandet."}"#,
          key: "fan-out", node: 0)
        #expect(fanOut.status == 202, "\(fanOut.text)")

        let integrator = Integrator(cluster: cluster)
        let watcher = ReadinessWatcher(cluster: cluster)
        let integrating = Task { await integrator.run() }
        let watching = Task { await watcher.run() }

        // Mid-dispatch: some thousands arrived, most still to go.
        try await eventually(timeout: .seconds(120), "the fan-out to be under way") {
          http.count >= 4_000
        }
        #expect(http.count < Self.people, "the fan-out ended before the kill")
        let killed = Date()
        try pair.kill(pair.first)

        // The gap: no primary. Not ready, and intake refuses.
        try await eventually(timeout: .seconds(20), "both nodes to say they are not ready") {
          try await cluster.readiness() == [503, 503]
        }
        let cli = try await workspace.commsd([
          "send", "--audience", "council", "--subject", "Under failover", "--body", "Ikke gemt.",
        ])
        #expect(cli.status == 75, "commsd send during the gap: \(cli.status) \(cli.stderr)")
        // Where no daemon runs, the CLI writes the store itself: the same.
        let direct = try await runCommand(
          Paths.commsd,
          [
            "send", "--config", cluster.daemonlessConfig, "--audience", "council", "--subject",
            "Under failover", "--body", "Ikke gemt.",
          ])
        #expect(direct.status == 75, "without a daemon: \(direct.status) \(direct.stderr)")
        #expect(integrator.refusals > 0, "the integrator was answered 503 during the gap")
        // Monitoring still scrapes the node, and hears that the store is away.
        let scrape = try await cluster.metrics(node: 0)
        #expect(
          scrape.status == 200 && scrape.text.contains("commsd_store_up 0\n"), "\(scrape.text)")

        // What the standby holds (synchronous: every acknowledged commit),
        // once it has replayed all it received: the leases held at the kill.
        try await pair.waitUntilReplayed(pair.second)
        let inFlight = Set(
          try pair.psql(
            pair.second, "SELECT id FROM deliveries WHERE state = 'sending'", database: "commsd"
          )
          .split(separator: "\n").map(String.init))
        let lastSeq = try cluster.count(
          "SELECT COALESCE(MAX(seq), 0) FROM audit_events", on: pair.second)
        let deliveredBefore = try cluster.count(
          "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'", on: pair.second)
        let promoted = Date()
        try pair.promote(pair.second)
        // The first delivery recorded on the new primary ends the gap.
        try await eventually(timeout: .seconds(60), "a delivery recorded on the new primary") {
          try cluster.count("SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'")
            > deliveredBefore
        }
        let firstRecorded = Date()

        try await eventually(timeout: .seconds(30), "both nodes to be ready again") {
          try await cluster.readiness() == [200, 200]
        }
        try await eventually(timeout: .seconds(20), "the scrape to say the store is back") {
          try await cluster.metrics(node: 0).text.contains("commsd_store_up 1\n")
        }
        try await eventually(
          timeout: .seconds(30),
          "the integrator to be answered 202 again (last: \(integrator.lastRefusal))"
        ) {
          integrator.lastAccepted.map { $0 > promoted } ?? false
        }
        // A few more seconds of posts on the new primary, then the rest sent.
        try await Task.sleep(for: .seconds(2))
        integrator.stop()
        await integrating.value
        watcher.stop()
        await watching.value
        // Ready again, and steadily: no idle connection that the dead
        // primary closed fails a check later.
        let readyAgain = watcher.firstReady(after: promoted)
        #expect(
          watcher.notReady(after: readyAgain ?? .distantFuture) == 0,
          "not ready again after being ready: \(watcher.timeline(after: promoted))")

        let accepted = integrator.accepted
        let total = Self.people + accepted.count * Self.councillors
        try await eventually(timeout: .seconds(240), "all \(total) deliveries delivered") {
          try cluster.count("SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'") == total
        }

        // Every message answered 202 exists, once per key.
        let stored = Set(
          try pair.psql(pair.second, "SELECT id FROM messages", database: "commsd")
            .split(separator: "\n").map(String.init))
        #expect(Set(accepted.values).isSubset(of: stored), "every 202 was kept")
        #expect(Set(accepted.values).count == accepted.count, "one message per key")
        #expect(try cluster.count("SELECT COUNT(*) FROM deliveries") == total)

        // Every delivery arrived; twice only if it was leased at the kill.
        let arrivals = Dictionary(grouping: http.webhooks, by: \.webhookID)
        let all = Set(
          try pair.psql(pair.second, "SELECT id FROM deliveries", database: "commsd")
            .split(separator: "\n").map(String.init))
        #expect(Set(arrivals.keys) == all, "every delivery arrived")
        let twice = Set(arrivals.filter { $0.value.count > 1 }.keys)
        #expect(
          twice.isSubset(of: inFlight),
          "arrived twice though not leased at the kill: \(twice.subtracting(inFlight).prefix(5))")
        // Every arrival is a recorded attempt, but for one per delivery
        // leased at the kill (an attempt whose record the crash may have
        // lost): a send beyond that would be one without a lease.
        let attempts = recordedAttempts(
          try pair.psql(
            pair.second, "SELECT id || ' ' || attempts FROM deliveries", database: "commsd"))
        let unaccounted = arrivals.filter { id, sent in
          sent.count > (attempts[id] ?? 0) + (inFlight.contains(id) ? 1 : 0)
        }
        #expect(
          unaccounted.isEmpty, "sent without a recorded attempt: \(unaccounted.keys.prefix(5))")

        // Bulletins 1…n in each audience, without a gap.
        for line in try pair.psql(
          pair.second,
          "SELECT audience || ' ' || COUNT(DISTINCT number) || ' ' || MIN(number) || ' ' || MAX(number) FROM message_bulletins GROUP BY audience",
          database: "commsd"
        ).split(separator: "\n") {
          let parts = line.split(separator: " ")
          #expect(parts.count == 4 && parts[1] == parts[3] && parts[2] == "1", "bulletins: \(line)")
        }
        let verify = try await workspace.commsd(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")

        // Both nodes work on without a restart: each sent after the promotion,
        // and each listens for the other's work on the new primary.
        try await cluster.waitUntilBothListen(on: pair.second)
        for node in cluster.nodes {
          let sent = try cluster.count(
            "SELECT COUNT(*) FROM audit_events WHERE kind = 'delivery.delivered' AND seq > \(lastSeq) AND actor LIKE '%:\(node.pid):%'"
          )
          #expect(sent > 0, "\(node.name) sent nothing after the promotion")
          #expect(node.isRunning)
        }

        // The gap, as the store saw it (kill → first delivery recorded after
        // the promotion) and as the receivers did (the longest silence).
        let times = http.webhooks.map(\.receivedAt).sorted()
        let silence = zip(times, times.dropFirst()).map { $1 - $0 }.max() ?? 0
        let firstAccepted = integrator.firstAccepted(after: promoted)
        let expired = try cluster.count(
          "SELECT COUNT(*) FROM audit_events WHERE kind = 'delivery.lease_returned' AND detail LIKE '%lease expired%'"
        )
        func ms(_ from: Date, _ to: Date?) -> String {
          to.map { "\(Int(($0.timeIntervalSince(from) * 1000).rounded())) ms" } ?? "-"
        }
        print(
          """
          failover: kill → promote \(ms(killed, promoted)) (the test's stand-in for the \
          failover tool); after the promotion: both nodes ready \(ms(promoted, readyAgain)), \
          first 202 \(ms(promoted, firstAccepted)), first delivery recorded \
          \(ms(promoted, firstRecorded)); kill → first delivery recorded \
          \(ms(killed, firstRecorded)); longest silence at the receiver \
          \(Int((silence * 1000).rounded())) ms; \(inFlight.count) leased at the kill, \
          \(twice.count) arrived twice, \(expired) waited for their lease to end; \
          \(integrator.refusals) answers 503 to the integrator; readiness 503 seen \
          \(watcher.notReady) times
          """)

        // The old primary comes back as a standby of the new one. Sessions
        // made anew (a switchover, a pooler restart) pass it over.
        try pair.follow(pair.first, primary: pair.second)
        try pair.psql(
          pair.second,
          "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE 'commsd pid %'"
        )
        var after: [String] = []
        for node in 0..<2 {
          let answer = try await cluster.postUntilAccepted(
            #"{"audiences":["council"],"subject":"Efter failover","body":"Alt kører."}"#,
            key: "after-\(node)", node: node)
          after.append(answer)
        }
        try await eventually(timeout: .seconds(60), "the two last messages delivered") {
          try cluster.count(
            "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered' AND message_id IN ('\(after[0])', '\(after[1])')"
          ) == 2 * Self.councillors
        }
        #expect(
          try pair.psql(pair.first, "SELECT pg_is_in_recovery()") == "t", "the old primary follows")
        #expect(
          try pair.psql(
            pair.first,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name LIKE 'commsd pid %'")
            == "0", "no node holds a session on the old primary")
        try await cluster.waitUntilBothListen(on: pair.second)
        for node in cluster.nodes { await node.stop() }
      }
    }
  }
}

/// The two nodes of the failover test and their store.
struct FailoverCluster: Sendable {
  let pair: TestPostgresPair
  let nodes: [ChildProcess]
  let clients: [APIClient]
  let token: String
  /// Node 1's configuration with a data directory no daemon runs in.
  let daemonlessConfig: String

  init(workspace: Workspace, pair: TestPostgresPair, receiver: Receiver) throws {
    self.pair = pair
    let staff = (1...EndToEnd.Failover.people).map { "p\($0),Person \($0),staff,hook:p\($0)" }
    let council = (1...EndToEnd.Failover.councillors).map {
      "c\($0),Medlem \($0),council,hook:c\($0)"
    }
    try (["id,name,audiences,contacts"] + staff + council).joined(separator: "\n")
      .write(toFile: workspace.directory + "/people.csv", atomically: true, encoding: .utf8)
    let integrator = TestToken(name: "integrator", audiences: ["staff", "council"])
    token = integrator.token
    let ports = [try freePort(), try freePort()]
    // Node 1 names target_session_attrs itself; node 2 relies on commsd's default.
    let urls = [
      pair.multiHostURL("commsd", query: "target_session_attrs=read-write"),
      pair.multiHostURL("commsd"),
    ]
    try workspace.writeConfig(
      smtpPort: nil, httpPort: receiver.port, recipients: "",
      extra: """
        store = "\(urls[0])"
        recipient_lists = ["people.csv"]
        \(Workspace.apiSection(port: ports[0], tokens: [integrator]))
        """, maxInFlight: 128, endpointConcurrency: 48, dispatch: "lease = \"30s\"")
    let text = try String(contentsOfFile: workspace.configPath, encoding: .utf8)
    let second = workspace.directory + "/node2.toml"
    try text.replacingOccurrences(of: "data_dir = \"var\"", with: "data_dir = \"var2\"")
      .replacingOccurrences(of: "127.0.0.1:\(ports[0])", with: "127.0.0.1:\(ports[1])")
      .replacingOccurrences(of: urls[0], with: urls[1])
      .write(toFile: second, atomically: true, encoding: .utf8)
    daemonlessConfig = workspace.directory + "/cli.toml"
    try text.replacingOccurrences(of: "data_dir = \"var\"", with: "data_dir = \"var3\"")
      .write(toFile: daemonlessConfig, atomically: true, encoding: .utf8)
    nodes = [
      try workspace.startDaemon(name: "node1"),
      try workspace.startDaemon(name: "node2", config: second),
    ]
    clients = ports.map { APIClient(base: "http://127.0.0.1:\($0)") }
  }

  func waitUntilReady() async throws {
    try await eventually(timeout: .seconds(60), "both nodes to be ready") {
      try await readiness() == [200, 200]
    }
  }

  /// Each node's `/readyz` status (0: no answer).
  func readiness() async throws -> [Int] {
    var statuses: [Int] = []
    for client in clients {
      statuses.append((try? await client.call("GET", "/readyz"))?.status ?? 0)
    }
    return statuses
  }

  func metrics(node: Int) async throws -> APIClient.Answer {
    try await clients[node].call("GET", "/metrics", token: token)
  }

  func post(_ json: String, key: String, node: Int) async throws -> APIClient.Answer {
    try await clients[node].call(
      "POST", "/v1/messages", token: token, json: json, headers: ["Idempotency-Key": key])
  }

  /// Posts until answered 202 (as an integrator retries a 503 with the
  /// same key); the message id.
  func postUntilAccepted(_ json: String, key: String, node: Int) async throws -> String {
    let deadline = ContinuousClock.now + .seconds(30)
    while ContinuousClock.now < deadline {
      let answer = try await post(json, key: key, node: node)
      if answer.status == 202, let id = answer.json["id"] as? String { return id }
      try await Task.sleep(for: .milliseconds(100))
    }
    throw TestFailure("node \(node + 1) did not accept \(key) in 30 s")
  }

  /// Waits until each node's listener has a session on `server` (its
  /// last statement a LISTEN: it waits for notifications there).
  func waitUntilBothListen(on server: TestPostgresPair.Server) async throws {
    for node in nodes {
      try await eventually(timeout: .seconds(30), "\(node.name) to LISTEN on the primary") {
        try count(
          "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'commsd pid \(node.pid)' AND query LIKE 'LISTEN%'",
          on: server) == 1
      }
    }
  }

  func count(_ sql: String, on server: TestPostgresPair.Server? = nil) throws -> Int {
    Int(try pair.psql(server ?? pair.second, sql, database: "commsd")) ?? -1
  }
}

/// An integrator posting a message to the council every 50 ms, to each
/// node in turn (a load balancer's round robin), and posting the same key
/// again after a 503 until it is answered 202.
final class Integrator: Sendable {
  private struct State {
    var accepted: [String: String] = [:]
    var acceptedAt: [Date] = []
    var refusals = 0
    var lastRefusal = ""
    var stopping = false
  }
  private let state = Mutex(State())
  let cluster: FailoverCluster

  init(cluster: FailoverCluster) { self.cluster = cluster }

  func run() async {
    var index = 0
    while !state.withLock({ $0.stopping }) {
      let key = "post-\(index)"
      let json = #"{"audiences":["council"],"subject":"Status \#(index)","body":"Nyt."}"#
      let answer = try? await cluster.post(json, key: key, node: index % 2)
      let id = answer?.json["id"] as? String
      state.withLock { state in
        if answer?.status == 202, let id {
          state.accepted[key] = id
          state.acceptedAt.append(Date())
        } else {
          state.refusals += 1
          state.lastRefusal = answer.map { "\($0.status) \($0.text)" } ?? "no answer"
        }
      }
      if id != nil && answer?.status == 202 { index += 1 }
      try? await Task.sleep(for: .milliseconds(50))
    }
  }

  func stop() { state.withLock { $0.stopping = true } }
  var accepted: [String: String] { state.withLock { $0.accepted } }
  var refusals: Int { state.withLock { $0.refusals } }
  var lastRefusal: String { state.withLock { $0.lastRefusal } }
  var lastAccepted: Date? { state.withLock { $0.acceptedAt.last } }
  func firstAccepted(after date: Date) -> Date? {
    state.withLock { $0.acceptedAt.first { $0 > date } }
  }
}

/// Polls both nodes' `/readyz` every 50 ms and keeps what they answered when.
final class ReadinessWatcher: Sendable {
  private let state = Mutex((checks: [(at: Date, statuses: [Int])](), stopping: false))
  let cluster: FailoverCluster

  init(cluster: FailoverCluster) { self.cluster = cluster }

  func run() async {
    while !state.withLock({ $0.stopping }) {
      let at = Date()
      let statuses = (try? await cluster.readiness()) ?? []
      state.withLock { $0.checks.append((at, statuses)) }
      try? await Task.sleep(for: .milliseconds(50))
    }
  }

  func stop() { state.withLock { $0.stopping = true } }

  /// How many answers were 503 in all.
  var notReady: Int { notReady(after: .distantPast) }

  /// How many answers to checks that began after `date` were 503.
  func notReady(after date: Date) -> Int {
    state.withLock { $0.checks.filter { $0.at > date }.map { $0.statuses.count { $0 == 503 } } }
      .reduce(0, +)
  }

  /// When the first check after `date` that both nodes answered 200 began.
  func firstReady(after date: Date) -> Date? {
    state.withLock { $0.checks.first { $0.at > date && $0.statuses == [200, 200] }?.at }
  }

  /// The checks after `date`, for a failure's message.
  func timeline(after date: Date) -> String {
    state.withLock { state in
      state.checks.filter { $0.at > date }.map {
        "+\(Int(($0.at.timeIntervalSince(date) * 1000).rounded())) ms \($0.statuses)"
      }.joined(separator: ", ")
    }
  }
}
