import Foundation

/// Local console accounts: made, their password changed, disabled — each
/// in one transaction with its audit event naming who did it (never the
/// hash). Signing in reads the hash and counts failures.
extension Store {
  public func addConsoleAccount(
    _ name: String, displayName: String, hash: PasswordHash, by actor: String, at: Date
  ) async throws {
    try await write { transaction in
      guard
        try transaction.row("SELECT 1 FROM console_accounts WHERE name = ?", [name]) == nil
      else { throw StoreError.refused(field: "user", "there is already an account \(name)") }
      let now = Timestamp.format(at)
      try transaction.execute(
        """
        INSERT INTO console_accounts (name, display_name, password_hash, created_at, created_by,
          password_changed_at, password_changed_by)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """, [name, displayName, hash.encoded, now, actor, now, actor])
      try transaction.audit(
        AuditEvent(
          kind: "account.created", at: at, actor: actor,
          detail: ["account": name, "display_name": displayName]))
    }
  }

  /// A new password; also lifts a lockout and enables a disabled account
  /// only when `enable` says so.
  public func setConsolePassword(
    _ name: String, hash: PasswordHash, enable: Bool = false, by actor: String, at: Date
  ) async throws {
    try await write { transaction in
      let now = Timestamp.format(at)
      guard
        try !transaction.rows(
          """
          UPDATE console_accounts SET password_hash = ?, password_changed_at = ?,
            password_changed_by = ?, failed_sign_ins = 0, locked_until = NULL
            \(enable ? ", disabled_at = NULL, disabled_by = NULL" : "")
          WHERE name = ? RETURNING name
          """, [hash.encoded, now, actor, name]
        ).isEmpty
      else { throw StoreError.refused(field: "user", "there is no account \(name)") }
      // Whoever knew the old password is signed out everywhere.
      let ended = try transaction.endLocalSessions(of: name)
      try transaction.audit(
        AuditEvent(
          kind: "account.password_changed", at: at, actor: actor,
          detail: [
            "account": name, "enabled": enable ? "true" : "false",
            "sessions_ended": String(ended),
          ]))
    }
  }

  public func disableConsoleAccount(_ name: String, by actor: String, at: Date) async throws {
    try await write { transaction in
      guard
        try !transaction.rows(
          """
          UPDATE console_accounts SET disabled_at = ?, disabled_by = ?
          WHERE name = ? AND disabled_at IS NULL RETURNING name
          """, [Timestamp.format(at), actor, name]
        ).isEmpty
      else {
        throw StoreError.refused(field: "user", "there is no enabled account \(name)")
      }
      let ended = try transaction.endLocalSessions(of: name)
      try transaction.audit(
        AuditEvent(
          kind: "account.disabled", at: at, actor: actor,
          detail: ["account": name, "sessions_ended": String(ended)]))
    }
  }

  public func consoleAccounts() async throws -> [ConsoleAccount] {
    try await read { reader in
      try reader.rows(
        """
        SELECT name, display_name, created_at, created_by, password_changed_at, disabled_at,
          failed_sign_ins, locked_until
        FROM console_accounts ORDER BY name
        """
      ).map { row in
        let name: String = try row[0]
        guard let created = Timestamp.parse(try row[2]),
          let changed = Timestamp.parse(try row[4])
        else { throw StoreError.corrupt("console account \(name)") }
        return ConsoleAccount(
          name: name, displayName: try row[1], createdAt: created, createdBy: try row[3],
          passwordChangedAt: changed, disabledAt: (try row[5] as String?).flatMap(Timestamp.parse),
          failedSignIns: try row[6], lockedUntil: (try row[7] as String?).flatMap(Timestamp.parse))
      }
    }
  }
}
