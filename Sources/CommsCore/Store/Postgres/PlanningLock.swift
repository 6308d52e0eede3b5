import Foundation
import Synchronization

/// One node plans at a time: a session-level advisory lock, taken on a
/// connection of its own for each planning pass and given back after it.
/// A node that dies loses its connection and with it the lock, so the
/// turn passes on by itself.
final class PlanningLock: Sendable {
  static let key: Int64 = 0x636F_6D6D_7364_0002
  // The connection is used only inside `queue`'s blocks, one at a time.
  private struct Held: @unchecked Sendable { let connection: PostgresConnection }
  private let held: Held
  private let queue = DispatchQueue(label: "commsd-planning-lock")

  init(connection: PostgresConnection) {
    held = Held(connection: connection)
  }

  /// Runs `body` if no other node is planning now; nil if one is.
  func turn<T: Sendable>(_ body: () async throws -> T) async throws -> T? {
    let taken = try await run { connection in
      let row = try connection.query("SELECT pg_try_advisory_lock($1)", [Self.key])
      return row.first.map { $0[0] as Bool } ?? false
    }
    guard taken else { return nil }
    do {
      let value = try await body()
      try await unlock()
      return value
    } catch {
      try? await unlock()
      throw error
    }
  }

  private func unlock() async throws {
    try await run { connection in
      _ = try connection.query("SELECT pg_advisory_unlock($1)", [Self.key])
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
            if held.connection.isBroken { try held.connection.reconnect() }
            return try body(held.connection)
          })
      }
    }
  }
}
