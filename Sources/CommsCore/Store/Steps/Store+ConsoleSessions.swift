import Foundation

/// The console's sessions (`ConsoleSession`): begun at a sign-in, looked up
/// by the SHA-256 of the cookie's token on every request, ended by signing
/// out, by the idle limit, by `session_max`, or when the account is
/// disabled or its password changed.
extension Store {
  /// Stores `session` under `tokenHash`, with `audit` (a sign-in's event)
  /// in the same transaction; sessions already over are deleted on the
  /// way (their end needs no other sweep).
  public func startConsoleSession(
    _ session: ConsoleSession, tokenHash: String, idle: Duration, audit: AuditEvent? = nil
  ) async throws {
    try await write { transaction in
      let now = session.createdAt
      try transaction.execute(
        "DELETE FROM console_sessions WHERE expires_at <= ? OR seen_at <= ?",
        [
          Timestamp.format(now),
          Timestamp.format(now.addingTimeInterval(-idle.seconds)),
        ])
      try transaction.execute(
        """
        INSERT INTO console_sessions (token_hash, person, display_name, via, idp_groups, csrf,
          origin, created_at, seen_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
          tokenHash, session.person, session.displayName, session.via.rawValue,
          session.idpGroups.joined(separator: "\n"), session.csrf, session.origin,
          Timestamp.format(session.createdAt), Timestamp.format(session.seenAt),
          Timestamp.format(session.expiresAt),
        ])
      if let audit { try transaction.audit(audit) }
    }
  }

  /// The session of `tokenHash` if it is neither past `expires_at` nor idle
  /// for `idle`; its last use is written at most once a minute.
  public func consoleSession(tokenHash: String, at now: Date, idle: Duration) async throws
    -> ConsoleSession?
  {
    let found = try await read { reader in
      try reader.rows(
        """
        SELECT person, display_name, via, idp_groups, csrf, origin, created_at, seen_at,
          expires_at
        FROM console_sessions WHERE token_hash = ?
        """, [tokenHash]
      ).first.flatMap { row -> ConsoleSession? in
        guard let via = ConsoleSession.Via(rawValue: try row[2]),
          let created = Timestamp.parse(try row[6]), let seen = Timestamp.parse(try row[7]),
          let expires = Timestamp.parse(try row[8])
        else { return nil }
        let groups: String = try row[3]
        return ConsoleSession(
          person: try row[0], displayName: try row[1], via: via,
          idpGroups: groups.isEmpty ? [] : groups.components(separatedBy: "\n"), csrf: try row[4],
          origin: try row[5], createdAt: created, seenAt: seen, expiresAt: expires)
      }
    }
    guard var session = found else { return nil }
    guard now < session.expiresAt, now.timeIntervalSince(session.seenAt) < idle.seconds else {
      try await write { transaction in
        try transaction.execute(
          "DELETE FROM console_sessions WHERE token_hash = ?", [tokenHash])
      }
      return nil
    }
    if now.timeIntervalSince(session.seenAt) >= 60 {
      session.seenAt = now
      try await write { transaction in
        try transaction.execute(
          "UPDATE console_sessions SET seen_at = ? WHERE token_hash = ?",
          [Timestamp.format(now), tokenHash])
      }
    }
    return session
  }

  /// Ends the session of `tokenHash` (signing out), audited under its person.
  public func endConsoleSession(tokenHash: String, actor: Sender, at: Date) async throws {
    try await write { transaction in
      guard
        try !transaction.rows(
          "DELETE FROM console_sessions WHERE token_hash = ? RETURNING person", [tokenHash]
        ).isEmpty
      else { return }
      try transaction.audit(
        AuditEvent(
          kind: "account.signed_out", at: at, actor: actor.description,
          detail: ["account": actor.name]))
    }
  }
}

extension StoreTransaction {
  /// Ends every session of local account `name` (it was disabled, or its
  /// password changed); returns how many.
  func endLocalSessions(of name: String) throws -> Int {
    try rows(
      "DELETE FROM console_sessions WHERE person = ? AND via = 'local' RETURNING person", [name]
    ).count
  }
}
