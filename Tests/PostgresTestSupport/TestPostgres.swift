import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A throw-away PostgreSQL cluster for the tests: Debian's server, started
/// on first use on a free loopback port in a folder of its own
/// (`scripts/pg-cluster.sh`), with a fresh database per test, and stopped
/// by its PID when the test process exits.
///
/// `COMMSD_TEST_POSTGRES` (a URL of a server the tests may create and drop
/// databases on) uses that server instead.
public enum TestPostgres {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var started: Result<String, any Error>?

  /// The URL of the cluster's `postgres` database.
  public static func serverURL() throws -> String {
    lock.lock()
    defer { lock.unlock() }
    if let started { return try started.get() }
    let result = Result { try start() }
    started = result
    return try result.get()
  }

  /// Creates an empty database and returns its URL.
  public static func freshDatabase() throws -> String {
    let server = try serverURL()
    let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    try psql(server, "CREATE DATABASE \(name)")
    return replacingDatabase(in: server, with: name)
  }

  /// Drops the database at `url` (after a test), closing what still uses it.
  public static func drop(_ url: String) {
    guard let server = try? serverURL(), let name = URL(string: url)?.lastPathComponent else {
      return
    }
    try? psql(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
  }

  /// Runs one SQL statement with `psql` and returns what it printed (unaligned, tuples only).
  @discardableResult
  public static func psql(_ url: String, _ sql: String) throws -> String {
    let result = try run(
      "/usr/bin/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
    guard result.status == 0 else { throw TestPostgresError("psql \(sql): \(result.errors)") }
    return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// Runs `executable` to its end, its output in files (a pipe would stay
  /// open as long as a server it started inherits it), and waits for it
  /// with waitpid (Foundation's `Process` can miss the exit of a child on a
  /// test's thread).
  static func run(_ executable: String, _ arguments: [String]) throws -> (
    status: Int32, output: String, errors: String
  ) {
    let base = FileManager.default.temporaryDirectory
      .appendingPathComponent("commsd-run-\(UUID().uuidString)").path
    defer {
      unlink(base + ".out")
      unlink(base + ".err")
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    let flags = O_WRONLY | O_CREAT | O_TRUNC
    posix_spawn_file_actions_addopen(&actions, 1, base + ".out", flags, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, base + ".err", flags, 0o600)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard spawned == 0 else { throw TestPostgresError("cannot start \(executable): \(spawned)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (
      exit, (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
      (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
    )
  }

  private static func replacingDatabase(in url: String, with name: String) -> String {
    guard var components = URLComponents(string: url) else { return url }
    components.path = "/" + name
    return components.string ?? url
  }

  private static func start() throws -> String {
    if let given = ProcessInfo.processInfo.environment["COMMSD_TEST_POSTGRES"], !given.isEmpty {
      return given
    }
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("commsd-pg-\(UUID().uuidString.prefix(8))").path
    let port = try freePort()
    let script = packageRoot().appendingPathComponent("scripts/pg-cluster.sh").path
    let started = try run("/bin/bash", [script, "start", directory, String(port)])
    guard started.status == 0 else {
      throw TestPostgresError(
        "scripts/pg-cluster.sh start failed (\(started.status)): \(started.errors); is the postgresql package installed? (make test installs it)"
      )
    }
    clusterDirectory = directory
    atexit {
      guard let directory = TestPostgres.clusterDirectory else { return }
      let script = TestPostgres.packageRoot().appendingPathComponent("scripts/pg-cluster.sh").path
      _ = try? TestPostgres.run("/bin/bash", [script, "stop", directory])
      try? FileManager.default.removeItem(atPath: directory)
    }
    return started.output.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  nonisolated(unsafe) private static var clusterDirectory: String?

  /// The package's folder (this file is Tests/PostgresTestSupport/TestPostgres.swift).
  static func packageRoot() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
  }

  /// A loopback port nobody listens on now.
  public static func freePort() throws -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
        bind(socket, raw, length) == 0 && getsockname(socket, raw, &length) == 0
      }
    }
    guard bound else { throw TestPostgresError("cannot find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
  }
}

public struct TestPostgresError: Error, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}
