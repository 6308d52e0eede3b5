extension StoreSchema {
  /// The console's local accounts (for an install without an identity
  /// provider): the name people sign in with, a scrypt hash of the password
  /// (`PasswordHash`), who made and changed it, whether it is disabled, and
  /// the failed sign-ins since the last good one (for a lockout).
  static let consoleAccounts = """
    CREATE TABLE console_accounts (
      name TEXT PRIMARY KEY,
      display_name TEXT NOT NULL,
      password_hash TEXT NOT NULL,
      created_at TEXT NOT NULL,
      created_by TEXT NOT NULL,
      password_changed_at TEXT NOT NULL,
      password_changed_by TEXT NOT NULL,
      disabled_at TEXT,
      disabled_by TEXT,
      failed_sign_ins INTEGER NOT NULL DEFAULT 0,
      locked_until TEXT
    );
    """

  /// The console's sessions: the SHA-256 of the cookie's token (never the
  /// token), who signed in and how (`local` or `oidc`, with the identity
  /// provider's groups, one per line), the session's CSRF token, and when
  /// it began, was last used and ends at the latest.
  static let consoleSessions = """
    CREATE TABLE console_sessions (
      token_hash TEXT PRIMARY KEY,
      person TEXT NOT NULL,
      display_name TEXT NOT NULL,
      via TEXT NOT NULL,
      idp_groups TEXT NOT NULL,
      csrf TEXT NOT NULL,
      origin TEXT NOT NULL,
      created_at TEXT NOT NULL,
      seen_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    );
    CREATE INDEX console_sessions_person ON console_sessions (person);
    """
}
