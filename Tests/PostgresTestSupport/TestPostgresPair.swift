import Foundation
import Synchronization

/// A PostgreSQL primary with a synchronous standby on loopback, for the
/// failover tests (issue 27): two clusters in folders of their own
/// (`scripts/pg-cluster.sh start`, then `standby`: a `pg_basebackup` of the
/// primary streaming through a replication slot), the primary waiting for
/// the standby's flush at every commit (`synchronous_standby_names`).
///
/// The test kills the primary as a lost host ends (`kill`: every process of
/// it at once, `kill -9`), promotes the standby, and may bring the old
/// primary back as a standby of the new one (`follow`). `stop` ends both by
/// PID; so does the test process's exit if a test fails before it.
public final class TestPostgresPair: @unchecked Sendable {
  // @unchecked: used by one test at a time.

  /// One of the two servers.
  public struct Server: Sendable, Equatable {
    /// Its application name as a standby (`synchronous_standby_names`).
    public let name: String
    public let port: Int
    let folder: String

    /// The URL of `database` on this server alone.
    public func url(_ database: String = "postgres") -> String {
      "postgres://commsd@127.0.0.1:\(port)/\(database)"
    }
  }

  /// The server that starts as the primary, and the one that starts as its standby.
  public let first: Server
  public let second: Server
  /// The folder both servers' folders are in.
  private let base: String

  /// Starts the primary and its synchronous standby, and waits until the
  /// standby is in sync.
  public init() throws {
    let base = FileManager.default.temporaryDirectory
      .appendingPathComponent("commsd-pair-\(UUID().uuidString.prefix(8))").path
    self.base = base
    first = Server(name: "node_a", port: try TestPostgres.freePort(), folder: base + "/a")
    second = Server(name: "node_b", port: try TestPostgres.freePort(), folder: base + "/b")
    Self.running.withLock { $0.append(base) }
    try Self.script(["start", first.folder, String(first.port)])
    try follow(second, primary: first)
  }

  /// `host:port` of both servers in one libpq URL, `first` first, with `query`.
  public func multiHostURL(_ database: String, query: String = "") -> String {
    "postgres://commsd@127.0.0.1:\(first.port),127.0.0.1:\(second.port)/\(database)"
      + (query.isEmpty ? "" : "?" + query)
  }

  /// Makes `standby` a fresh copy of `primary` (whatever it held before is
  /// removed, as an operator rebuilds a failed primary), streaming, and the
  /// primary's synchronous standby.
  public func follow(_ standby: Server, primary: Server) throws {
    try Self.script([
      "standby", standby.folder, String(standby.port), String(primary.port), standby.name,
    ])
    // ALTER SYSTEM on the primary after the copy, so that the standby does
    // not inherit it: promoted, it has no standby to wait for.
    try TestPostgres.psql(
      primary.url(), "ALTER SYSTEM SET synchronous_standby_names = '\(standby.name)'")
    try TestPostgres.psql(primary.url(), "SELECT pg_reload_conf()")
    let deadline = Date().addingTimeInterval(30)
    while try TestPostgres.psql(
      primary.url(),
      "SELECT sync_state FROM pg_stat_replication WHERE application_name = '\(standby.name)'")
      != "sync"
    {
      guard Date() < deadline else {
        throw TestPostgresError("\(standby.name) did not become a synchronous standby in 30 s")
      }
      usleep(50_000)
    }
  }

  /// Runs one SQL statement on `server`'s `database` (see `TestPostgres.psql`).
  @discardableResult
  public func psql(_ server: Server, _ sql: String, database: String = "postgres") throws
    -> String
  {
    try TestPostgres.psql(server.url(database), sql)
  }

  /// Waits until the standby `server`, its primary gone, has replayed what
  /// it received. The received WAL may end inside a record that never
  /// came whole, which is never replayed: so done is the received end
  /// reached, or the replayed end unchanged for half a second.
  public func waitUntilReplayed(_ server: Server) async throws {
    var last = ""
    var unchanged = 0
    for _ in 0..<400 {
      let row = try psql(
        server, "SELECT pg_last_wal_replay_lsn() || ' ' || pg_last_wal_receive_lsn()")
      let parts = row.split(separator: " ")
      guard parts.count == 2 else { throw TestPostgresError("\(server.name) is no standby") }
      if parts[0] == parts[1] { return }
      unchanged = parts[0] == last ? unchanged + 1 : 0
      if unchanged == 10 { return }
      last = String(parts[0])
      try await Task.sleep(for: .milliseconds(50))
    }
    throw TestPostgresError("\(server.name) still replaying after 20 s")
  }

  /// Kills every process of `server` at once (`kill -9`).
  public func kill(_ server: Server) throws {
    try Self.script(["kill", server.folder])
  }

  /// Promotes the standby `server` to primary and waits until it takes writes.
  public func promote(_ server: Server) throws {
    try Self.script(["promote", server.folder])
  }

  /// Stops both servers by PID and removes their folders.
  public func stop() {
    Self.stop(base)
    Self.running.withLock { $0.removeAll { $0 == base } }
  }

  private static func stop(_ base: String) {
    for server in ["a", "b"] {
      _ = try? TestPostgres.run("/bin/bash", [scriptPath, "stop", base + "/" + server])
    }
    try? FileManager.default.removeItem(atPath: base)
  }

  private static let scriptPath = TestPostgres.packageRoot()
    .appendingPathComponent("scripts/pg-cluster.sh").path

  private static func script(_ arguments: [String]) throws {
    let result = try TestPostgres.run("/bin/bash", [scriptPath] + arguments)
    guard result.status == 0 else {
      throw TestPostgresError(
        "scripts/pg-cluster.sh \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.errors)"
      )
    }
  }

  /// Folders of pairs still running, stopped at the test process's exit.
  private static let running: Mutex<[String]> = {
    atexit {
      for base in TestPostgresPair.running.withLock({ $0 }) { TestPostgresPair.stop(base) }
    }
    return Mutex([])
  }()
}
