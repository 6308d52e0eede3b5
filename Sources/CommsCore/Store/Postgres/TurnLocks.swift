import Foundation
import Synchronization

/// Work one node does at a time (planning, a retention pass): session-level
/// advisory locks, taken on a connection of their own for each pass and
/// given back after it. A node that dies loses its connection and with it
/// its locks, so the turn passes on by itself.
final class TurnLocks: Sendable {
  /// The lock keys (any fixed numbers, distinct from the migrations').
  enum Turn: Int64 {
    case planning = 0x636F_6D6D_7364_0002
    case retention = 0x636F_6D6D_7364_0003
  }
  // The connection is used only inside `queue`'s blocks, one at a time.
  private struct Held: @unchecked Sendable { let connection: PostgresConnection }
  private let held: Held
  private let queue = DispatchQueue(label: "commsd-planning-lock")

  init(connection: PostgresConnection) {
    held = Held(connection: connection)
  }

  /// Runs `body` if no other node has `turn` now; nil if one has.
  func turn<T: Sendable>(_ turn: Turn, _ body: () async throws -> T) async throws -> T? {
    let key = turn.rawValue
    let taken = try await run { connection in
      let row = try connection.query("SELECT pg_try_advisory_lock($1)", [key])
      return try row.first.map { try $0[0] as Bool } ?? false
    }
    guard taken else { return nil }
    do {
      let value = try await body()
      try await unlock(key)
      return value
    } catch {
      try? await unlock(key)
      throw error
    }
  }

  private func unlock(_ key: Int64) async throws {
    try await run { connection in
      _ = try connection.query("SELECT pg_advisory_unlock($1)", [key])
    }
  }

  private func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T)
    async throws -> T
  {
    let held = held
    return try await withCheckedThrowingContinuation { continuation in
      queue.async {
        continuation.resume(
          with: Result {
            if held.connection.closedWhileIdle { try held.connection.reconnect() }
            return try body(held.connection)
          })
      }
    }
  }
}
