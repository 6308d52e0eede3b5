import Foundation
import PostgresTestSupport
import Testing

@testable import CommsCore

/// Issue 27: what a connection does with a standby. A URL that names the
/// standby first still reaches the primary (commsd asks libpq for a
/// read-write session unless the URL says otherwise), and a connection that
/// finds itself on a read-only server anyway (the URL said `any`, or an
/// address moved under it) is made anew before its next use instead of
/// failing every write on it.
@Suite(.serialized) struct StandbyConnectionTests {
  /// One primary with its standby for all the tests here (a pair takes a
  /// second or two to start).
  static let pair = Result { try TestPostgresPair() }

  /// Both servers in one URL, the standby first.
  func standbyFirst(_ query: String = "") throws -> String {
    let pair = try Self.pair.get()
    return "postgres://commsd@127.0.0.1:\(pair.second.port),127.0.0.1:\(pair.first.port)/postgres"
      + (query.isEmpty ? "" : "?" + query)
  }

  func isStandby(_ connection: PostgresConnection) throws -> Bool {
    try connection.query("SELECT pg_is_in_recovery()").first.map { try $0[0] as Bool } ?? false
  }

  @Test func aURLNamingTheStandbyFirstReachesThePrimary() throws {
    let connection = try PostgresConnection(url: try standbyFirst(), password: nil)
    #expect(try !isStandby(connection))
    try connection.query("CREATE TEMPORARY TABLE written (x INTEGER)")
  }

  @Test func theURLsOwnTargetSessionAttrsWins() throws {
    let connection = try PostgresConnection(
      url: try standbyFirst("target_session_attrs=any"), password: nil)
    #expect(try isStandby(connection))
  }

  @Test func aWriteRefusedAsReadOnlyMakesTheConnectionAnew() throws {
    let connection = try PostgresConnection(
      url: try standbyFirst("target_session_attrs=any"), password: nil)
    #expect(!connection.isBroken)
    let refused = #expect(throws: PostgresError.self) {
      try connection.query("CREATE TABLE written (x INTEGER)")
    }
    #expect(refused?.sqlState == "25006", "\(String(describing: refused))")
    #expect(connection.isBroken, "the connection is made anew before its next use")
    try connection.reconnect()
    #expect(!connection.isBroken)
  }

  @Test func otherErrorsKeepTheConnection() throws {
    let connection = try PostgresConnection(url: try standbyFirst(), password: nil)
    #expect(throws: PostgresError.self) { try connection.query("SELECT * FROM nowhere") }
    #expect(!connection.isBroken)
  }

  /// After a failover every idle connection of the pool was closed by the
  /// server; the first request on each must not be the one to find out.
  @Test func aConnectionTheServerClosedWhileIdleIsMadeAnewBeforeUse() async throws {
    let pair = try Self.pair.get()
    let pool = try PostgresPool(url: pair.first.url(), password: nil, size: 1)
    let before = try await pool.read { try $0.query("SELECT pg_backend_pid()")[0][0] as Int }
    try pair.psql(pair.first, "SELECT pg_terminate_backend(\(before))")
    // The backend has ended (and closed its socket) once it is gone from
    // the server's list.
    for _ in 0..<200 {
      let left = try pair.psql(
        pair.first, "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = \(before)")
      if left == "0" { break }
      try await Task.sleep(for: .milliseconds(10))
    }
    let after = try await pool.read { try $0.query("SELECT pg_backend_pid()")[0][0] as Int }
    #expect(after != before)
  }

  @Test func whichErrorsAskForAnotherServer() {
    for state in ["25006", "08006", "08001", "57P01", "57P02", "57P03"] {
      #expect(PostgresError(sqlState: state, message: "").needsNewServer, "\(state)")
    }
    for state in [nil, "40001", "23505", "42P01", "57014"] {
      #expect(
        !PostgresError(sqlState: state, message: "").needsNewServer, "\(String(describing: state))")
    }
  }
}
