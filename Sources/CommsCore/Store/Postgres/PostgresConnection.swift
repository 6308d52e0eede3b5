import CPostgres
import Foundation
import GRDB

/// One connection to PostgreSQL through libpq.
///
/// libpq rather than postgres-nio: the store's transactions are synchronous
/// bodies (as SQLite's are under GRDB), so a blocking client on a worker
/// thread fits them as they are, links against Debian's `libpq-dev`, and
/// adds nothing to a clean build (postgres-nio measured about 8 minutes
/// here, on every CI run). What it costs: a thread blocked per statement in
/// flight, which the pool bounds (`PostgresPool`).
///
/// Not thread-safe: the pool hands it to one caller at a time.
final class PostgresConnection {
  private var handle: OpaquePointer?
  private let url: String
  private let password: String?
  /// Prepared statements by their text: parsing and planning once per
  /// connection, as GRDB's cached statements do for SQLite.
  private var prepared: [String: String] = [:]
  /// Beyond this many shapes, statements run unprepared (an `IN (…)` list
  /// of varying length would otherwise fill the cache).
  private static let preparedLimit = 256

  /// Connects to `url` (`postgres://user@host:port/database?…`), with
  /// `password` if given (read from a file by the configuration, never
  /// written in it).
  init(url: String, password: String?) throws {
    self.url = url
    self.password = password
    try connect()
  }

  deinit { cpq_finish(handle) }

  private func connect() throws {
    cpq_finish(handle)
    handle = nil
    prepared = [:]
    mustReconnect = false
    // libpq is opened on first use (see CPostgres.h); say so if it cannot be.
    var reason = [CChar](repeating: 0, count: 512)
    guard cpq_load(&reason, reason.count) == 1 else {
      throw PostgresError(
        sqlState: nil,
        message:
          "libpq could not be loaded: \(String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))"
      )
    }
    // Keywords before `dbname` are defaults the URL may override (libpq
    // keeps the last value given); those after it are commsd's own.
    var keys = Self.defaults.map(\.key) + ["dbname", "application_name"]
    // The pid names the node in pg_stat_activity (its host is the client
    // address), so an operator can tell which daemon holds a connection.
    var values = Self.defaults.map(\.value) + [url, "commsd pid \(getpid())"]
    if let password {
      keys.append("password")
      values.append(password)
    }
    handle = withCStrings(keys) { keyPointers in
      withCStrings(values) { valuePointers in
        cpq_connectdbParams(keyPointers, valuePointers, 1)
      }
    }
    guard cpq_status(handle) == CONNECTION_OK else {
      let text = String(cString: cpq_errorMessage(handle)).trimmingCharacters(
        in: .whitespacesAndNewlines)
      cpq_finish(handle)
      handle = nil
      throw PostgresError(sqlState: nil, message: "cannot connect to PostgreSQL: \(text)")
    }
    // Quiet: NOTICEs (e.g. "relation already exists, skipping") are not ours to print.
    _ = try execute("SET client_min_messages = warning")
  }

  /// Connection settings a failover needs, unless the URL says otherwise:
  /// - `connect_timeout=10`, per host the URL names;
  /// - `target_session_attrs=read-write`: of the hosts a URL names, only the
  ///   primary. Every connection of commsd writes (or LISTENs, which a
  ///   standby refuses too), so a standby — a demoted primary brought back,
  ///   the standby before its promotion — is passed over at connect instead
  ///   of failing every write on it.
  /// - TCP keepalives and `tcp_user_timeout`: a host that vanishes without a
  ///   word (power, network) ends its connections within about 20 to 30
  ///   seconds, not after the kernel's quarter of an hour of retransmissions.
  static let defaults: [(key: String, value: String)] = [
    ("connect_timeout", "10"),
    ("target_session_attrs", "read-write"),
    ("keepalives", "1"),
    ("keepalives_idle", "10"),
    ("keepalives_interval", "5"),
    ("keepalives_count", "3"),
    ("tcp_user_timeout", "20000"),
  ]

  /// Set by an error that says this server is the wrong one to talk to now
  /// (see `needsNewServer`), though the connection itself still stands.
  private var mustReconnect = false

  /// Whether the server can still be reached on this connection, and is
  /// still one to write to.
  var isBroken: Bool { mustReconnect || handle == nil || cpq_status(handle) != CONNECTION_OK }

  /// Whether the connection must be made anew before its next use: it is
  /// broken, or the server closed it while it sat idle (a restart, a
  /// failover, `pg_terminate_backend`). What the server sent is read
  /// without waiting (libpq's socket does not block), so the closed socket
  /// is found before a statement fails on it: after a failover each idle
  /// connection would otherwise fail one request (a 503, a `/readyz` that
  /// says not ready) on its first use. On a healthy connection it is one
  /// `recv` that finds nothing.
  var closedWhileIdle: Bool {
    guard !isBroken else { return true }
    // Twice: a server that ends a session on purpose sends its reason
    // first (57P01), and the end of the stream is found by the next read.
    for _ in 0..<2 where cpq_consumeInput(handle) == 1 {}
    return cpq_status(handle) != CONNECTION_OK
  }

  /// Connects anew after the server closed the connection (a restart, a failover).
  func reconnect() throws { try connect() }

  /// Runs one statement with `$1 …` parameters and returns its rows.
  /// Statements of a fixed shape are prepared once per connection; one whose
  /// text varies with its input (`prepare: false`) is not.
  @discardableResult
  func query(
    _ sql: String, _ parameters: [(any PostgresParameter)?] = [], prepare: Bool = true
  ) throws -> [StoredRow] {
    let texts = parameters.map { $0?.postgresText }
    let result: OpaquePointer? = try withParameterPointers(texts) { pointers in
      if prepare, let name = try preparedName(for: sql, count: Int32(texts.count)) {
        return cpq_execPrepared(handle, name, Int32(texts.count), pointers, nil, nil, 0)
      }
      return cpq_execParams(handle, sql, Int32(texts.count), nil, pointers, nil, nil, 0)
    }
    return try rows(of: result)
  }

  /// Runs one or more statements without parameters (schema, BEGIN, COMMIT).
  @discardableResult
  func execute(_ sql: String) throws -> [StoredRow] {
    try rows(of: cpq_exec(handle, sql))
  }

  /// The name of `sql` prepared on this connection, preparing it first; nil
  /// once the cache is full.
  private func preparedName(for sql: String, count: Int32) throws -> String? {
    if let name = prepared[sql] { return name }
    guard prepared.count < Self.preparedLimit else { return nil }
    let name = "s\(prepared.count)"
    _ = try rows(of: cpq_prepare(handle, name, sql, count, nil))
    prepared[sql] = name
    return name
  }

  private func rows(of result: OpaquePointer?) throws -> [StoredRow] {
    defer { cpq_clear(result) }
    switch cpq_resultStatus(result) {
    case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
      return []
    case PGRES_TUPLES_OK:
      return StoredRow.all(of: result)
    default:
      let state = cpq_resultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
      var text = String(cString: cpq_errorMessage(handle))
      if let detail = cpq_resultErrorMessage(result), detail.pointee != 0 {
        text = String(cString: detail)
      }
      let error = PostgresError(
        sqlState: state, message: text.trimmingCharacters(in: .whitespacesAndNewlines))
      if error.needsNewServer { mustReconnect = true }
      throw error
    }
  }

  /// The socket, to wait on for notifications.
  var socket: Int32 { cpq_socket(handle) }

  /// Reads what the server sent and returns the channels notified since the
  /// last call (`LISTEN`).
  func notifications() throws -> [String] {
    guard cpq_consumeInput(handle) == 1 else {
      throw PostgresError(
        sqlState: nil, message: String(cString: cpq_errorMessage(handle)))
    }
    var channels: [String] = []
    while let notice = cpq_notifies(handle) {
      channels.append(String(cString: notice.pointee.relname))
      cpq_freemem(notice)
    }
    return channels
  }
}

/// An error PostgreSQL reported, with its SQLSTATE code.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
  public var sqlState: String?
  public var message: String

  /// Serialization failure or deadlock: the transaction may simply run again.
  var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }
  /// A unique constraint was violated (e.g. two nodes took the same idempotency key at once).
  var isUniqueViolation: Bool { sqlState == "23505" }
  /// The server cannot take this connection's writes any more: it is read
  /// only (25006: a standby behind an address that moved, a pooler still
  /// pointing at the old primary), shutting down or recovering (57P01–03),
  /// or the connection failed (class 08). The connection is made anew
  /// before its next use, through the URL, which finds the primary.
  var needsNewServer: Bool {
    guard let sqlState else { return false }
    return sqlState == "25006" || sqlState.hasPrefix("08")
      || ["57P01", "57P02", "57P03"].contains(sqlState)
  }

  public var description: String {
    sqlState.map { "PostgreSQL \($0): \(message)" } ?? message
  }
}

/// A value passed as a statement parameter, in PostgreSQL's text form.
protocol PostgresParameter {
  var postgresText: String { get }
}

extension String: PostgresParameter {
  var postgresText: String { self }
}

extension Int: PostgresParameter {
  var postgresText: String { String(self) }
}

extension Int64: PostgresParameter {
  var postgresText: String { String(self) }
}

extension Bool: PostgresParameter {
  var postgresText: String { self ? "true" : "false" }
}

private func withCStrings<T>(
  _ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> T
) rethrows -> T {
  let copies = strings.map { strdup($0) }
  defer { for copy in copies { free(copy) } }
  var pointers = copies.map { UnsafePointer<CChar>($0) } + [nil]
  return try pointers.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
}

private func withParameterPointers<T>(
  _ texts: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) throws -> T
) rethrows -> T {
  let copies = texts.map { $0.map { strdup($0) } ?? nil }
  defer { for copy in copies { free(copy) } }
  let pointers = copies.map { $0.map { UnsafePointer<CChar>($0) } }
  return try pointers.withUnsafeBufferPointer { try body($0.baseAddress) }
}
