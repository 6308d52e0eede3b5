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
}
