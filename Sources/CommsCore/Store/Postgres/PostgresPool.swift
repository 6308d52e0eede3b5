import Foundation
import Synchronization

/// A fixed set of connections, each lent to one caller at a time and used
/// on a worker thread (libpq blocks).
final class PostgresPool: Sendable {
  // The connections are not Sendable; the mutex hands each to one task at a
  // time, and that task alone uses it until it gives it back.
  private struct Lendable: @unchecked Sendable { let connection: PostgresConnection }
  private struct State {
    var idle: [Lendable]
    var waiting: [CheckedContinuation<Lendable, Never>] = []
  }
  private let state: Mutex<State>
  private let queue = DispatchQueue(label: "commsd-postgres", attributes: .concurrent)
  let size: Int

  init(url: String, password: String?, size: Int) throws {
    var connections: [Lendable] = []
    for _ in 0..<size {
      connections.append(Lendable(connection: try PostgresConnection(url: url, password: password)))
    }
    self.size = size
    state = Mutex(State(idle: connections))
  }

  /// Runs `body` with a connection of its own, on a worker thread. A
  /// connection the server closed is opened again before it is lent.
  func withConnection<T: Sendable>(
    _ body: @escaping @Sendable (PostgresConnection) throws -> T
  ) async throws -> T {
    let lent = await borrow()
    defer { giveBack(lent) }
    return try await withCheckedThrowingContinuation { continuation in
      queue.async {
        continuation.resume(
          with: Result {
            if lent.connection.closedWhileIdle { try lent.connection.reconnect() }
            return try body(lent.connection)
          })
      }
    }
  }

  /// Runs `body` in a transaction (see `PostgresTransaction`), again from
  /// the start after a deadlock, a serialization failure or a unique key
  /// taken meanwhile by another node, at most five times.
  func write<T: Sendable>(
    _ body: @escaping @Sendable (PostgresTransaction) throws -> T
  ) async throws -> T {
    try await withConnection { connection in
      var tries = 0
      while true {
        tries += 1
        let transaction = PostgresTransaction(connection: connection)
        do {
          try connection.execute("BEGIN")
          let value = try body(transaction)
          try transaction.finish()
          try connection.execute("COMMIT")
          return value
        } catch let error as PostgresError
          where (error.isRetryable || error.isUniqueViolation) && tries < 5
        {
          _ = try? connection.execute("ROLLBACK")
        } catch {
          _ = try? connection.execute("ROLLBACK")
          throw error
        }
      }
    }
  }

  /// Runs `body` in a read-only transaction: one snapshot for all its reads.
  func read<T: Sendable>(
    _ body: @escaping @Sendable (PostgresConnection) throws -> T
  ) async throws -> T {
    try await withConnection { connection in
      try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
      do {
        let value = try body(connection)
        try connection.execute("COMMIT")
        return value
      } catch {
        _ = try? connection.execute("ROLLBACK")
        throw error
      }
    }
  }

  private func borrow() async -> Lendable {
    await withCheckedContinuation { continuation in
      let lent = state.withLock { state -> Lendable? in
        if let connection = state.idle.popLast() { return connection }
        state.waiting.append(continuation)
        return nil
      }
      if let lent { continuation.resume(returning: lent) }
    }
  }

  private func giveBack(_ lent: Lendable) {
    let waiter = state.withLock { state -> CheckedContinuation<Lendable, Never>? in
      if state.waiting.isEmpty {
        state.idle.append(lent)
        return nil
      }
      return state.waiting.removeFirst()
    }
    waiter?.resume(returning: lent)
  }
}
