import Foundation

/// Signing in with a local account: the password checked against its
/// scrypt hash outside any transaction (it takes a tenth of a second), then
/// the outcome written with its audit event. Five wrong passwords in a row
/// lock the account for 15 minutes; an unknown name costs the same hashing
/// as a known one, so the answer's time does not tell which names exist.
public enum SignIn {
  public enum Outcome: Sendable, Equatable {
    case signedIn(name: String, displayName: String)
    /// Why, for the audit; a person is told only "wrong name or password"
    /// (or, for a locked account, until when).
    case refused(reason: Reason, lockedUntil: Date?)
  }

  public enum Reason: String, Sendable, Equatable {
    case unknown, disabled, locked
    case wrongPassword = "wrong_password"
  }

  public static let lockAfter = 5
  public static let lockFor: TimeInterval = 15 * 60

  /// A hash nobody's password matches, spent on an unknown name.
  static let decoy = try? PasswordHash.make("decoy-\(UInt64.random(in: .min ... .max))")

  public static func attempt(
    _ name: String, password: String, store: any Store, at now: Date, origin: String
  ) async throws -> Outcome {
    guard ConsoleAccount.isName(name),
      let stored = try await store.consoleCredentials(name)
    else {
      _ = decoy?.verifies(password)
      // A name from outside that is no account name is not put on record as typed.
      return try await store.recordSignIn(
        ConsoleAccount.isName(name) ? name : "(not an account name)",
        .refused(reason: .unknown, lockedUntil: nil), origin: origin, at: now)
    }
    if stored.disabled {
      _ = stored.hash?.verifies(password)
      return try await store.recordSignIn(
        name, .refused(reason: .disabled, lockedUntil: nil), origin: origin, at: now)
    }
    if let until = stored.lockedUntil, until > now {
      return try await store.recordSignIn(
        name, .refused(reason: .locked, lockedUntil: until), origin: origin, at: now)
    }
    guard let hash = stored.hash, hash.verifies(password) else {
      return try await store.recordSignIn(
        name, .refused(reason: .wrongPassword, lockedUntil: nil), origin: origin, at: now)
    }
    return try await store.recordSignIn(
      name, .signedIn(name: name, displayName: stored.displayName), origin: origin, at: now)
  }
}

extension Store {
  /// What signing in needs of account `name`: its hash (nil when the stored
  /// text is not one this reads), whether it is disabled or locked.
  func consoleCredentials(_ name: String) async throws
    -> (hash: PasswordHash?, displayName: String, disabled: Bool, lockedUntil: Date?)?
  {
    try await read { reader in
      try reader.rows(
        """
        SELECT password_hash, display_name, disabled_at, locked_until FROM console_accounts
        WHERE name = ?
        """, [name]
      ).first.map { row in
        (
          PasswordHash.parse(try row[0]), try row[1], (try row[2] as String?) != nil,
          (try row[3] as String?).flatMap(Timestamp.parse)
        )
      }
    }
  }

  /// Writes a sign-in's outcome: a good one clears the failures; a wrong
  /// password counts one and, at `SignIn.lockAfter`, locks the account.
  func recordSignIn(_ name: String, _ outcome: SignIn.Outcome, origin: String, at now: Date)
    async throws -> SignIn.Outcome
  {
    try await write { transaction in
      var result = outcome
      var detail = ["account": name, "origin": origin]
      switch outcome {
      case .signedIn:
        try transaction.execute(
          "UPDATE console_accounts SET failed_sign_ins = 0, locked_until = NULL WHERE name = ?",
          [name])
      case .refused(let reason, let until):
        detail["reason"] = reason.rawValue
        if let until { detail["locked_until"] = Timestamp.format(until) }
        if reason == .wrongPassword,
          let failures = try transaction.row(
            """
            UPDATE console_accounts SET failed_sign_ins = failed_sign_ins + 1
            WHERE name = ? RETURNING failed_sign_ins
            """, [name]
          ).map({ try $0[0] as Int }), failures >= SignIn.lockAfter
        {
          let until = now.addingTimeInterval(SignIn.lockFor)
          try transaction.execute(
            "UPDATE console_accounts SET failed_sign_ins = 0, locked_until = ? WHERE name = ?",
            [Timestamp.format(until), name])
          detail["locked_until"] = Timestamp.format(until)
          result = .refused(reason: .wrongPassword, lockedUntil: until)
        }
      }
      let signedIn = if case .signedIn = outcome { true } else { false }
      try transaction.audit(
        AuditEvent(
          kind: signedIn ? "account.signed_in" : "account.sign_in_refused", at: now,
          actor: "console:\(name)", detail: detail))
      return result
    }
  }
}
