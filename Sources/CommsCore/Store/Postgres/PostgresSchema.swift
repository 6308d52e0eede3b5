import Foundation

/// The PostgreSQL schema as the same numbered migrations as SQLite's
/// (`SQLiteSchema`), each in PostgreSQL's dialect, applied at start by
/// every node. Nodes starting together take turns (an advisory lock), so
/// each migration runs once. Times are stored as the same fixed-width
/// RFC 3339 text as in SQLite, so they sort as text and the row readers are
/// shared.
enum PostgresSchema {
  /// The advisory lock key that serializes migrations (any fixed number).
  static let migrationLock: Int64 = 0x636F_6D6D_7364_0001

  static let migrations: [(name: String, sql: String)] = [
    (
      "0001-queue-and-audit",
      """
      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        idempotency_key TEXT UNIQUE,
        fingerprint TEXT NOT NULL,
        sender_kind TEXT NOT NULL,
        sender_name TEXT NOT NULL,
        sender_origin TEXT NOT NULL,
        audiences TEXT NOT NULL,
        priority TEXT NOT NULL,
        kind TEXT NOT NULL,
        contents TEXT NOT NULL,
        default_language TEXT NOT NULL,
        accepted_at TEXT NOT NULL,
        planned_at TEXT
      );
      CREATE INDEX messages_unplanned ON messages(accepted_at) WHERE planned_at IS NULL;

      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL REFERENCES messages(id),
        recipient_id TEXT NOT NULL,
        recipient_name TEXT NOT NULL,
        audience TEXT NOT NULL,
        channel TEXT NOT NULL,
        endpoint TEXT,
        address TEXT NOT NULL,
        contact_index INTEGER NOT NULL,
        language TEXT NOT NULL,
        priority TEXT NOT NULL,
        lane INTEGER NOT NULL,
        state TEXT NOT NULL,
        due_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_status INTEGER,
        last_error TEXT,
        delivered_at TEXT
      );
      CREATE INDEX deliveries_leasable ON deliveries(lane, due_at) WHERE state IN ('ready', 'retrying');
      CREATE INDEX deliveries_sending ON deliveries(lease_until) WHERE state = 'sending';

      CREATE TABLE audit_events (
        seq BIGINT PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        message_id TEXT,
        delivery_id TEXT,
        actor TEXT NOT NULL,
        detail TEXT NOT NULL
      );
      CREATE INDEX audit_message ON audit_events(message_id);
      """
    ),
    (
      "0002-targeting-bulletins-fallback",
      """
      ALTER TABLE messages ADD COLUMN filter TEXT NOT NULL DEFAULT '{"conditions":[]}';
      -- The last bulletin number of each audience, taken in the accepting
      -- transaction: the row lock keeps numbers gapless across nodes.
      CREATE TABLE bulletins (
        audience TEXT PRIMARY KEY,
        last INTEGER NOT NULL
      );
      CREATE TABLE message_bulletins (
        message_id TEXT NOT NULL REFERENCES messages(id),
        audience TEXT NOT NULL,
        number INTEGER NOT NULL,
        PRIMARY KEY (message_id, audience)
      );
      ALTER TABLE deliveries ADD COLUMN bulletin INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE deliveries ADD COLUMN contacts TEXT NOT NULL DEFAULT '[]';
      """
    ),
    (
      "0003-dosing",
      """
      ALTER TABLE deliveries ADD COLUMN hold_reason TEXT;
      CREATE INDEX deliveries_held ON deliveries(due_at) WHERE state = 'held';
      CREATE INDEX deliveries_audience_due ON deliveries(audience, due_at);
      """
    ),
    (
      "0004-digests",
      """
      ALTER TABLE deliveries ADD COLUMN digest_id TEXT;
      """
    ),
    (
      "0005-supersede-cancel-expiry",
      """
      ALTER TABLE messages ADD COLUMN supersedes TEXT;
      ALTER TABLE messages ADD COLUMN expires_at TEXT;
      ALTER TABLE messages ADD COLUMN expiry_done INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE messages ADD COLUMN mode TEXT NOT NULL DEFAULT 'actual';
      ALTER TABLE messages ADD COLUMN cap_sender TEXT;
      ALTER TABLE messages ADD COLUMN cap_identifier TEXT;
      ALTER TABLE messages ADD COLUMN cap_sent TEXT;
      ALTER TABLE messages ADD COLUMN retraction_of TEXT;
      ALTER TABLE messages ADD COLUMN cancelled_at TEXT;
      ALTER TABLE messages ADD COLUMN cancel_reason TEXT;
      ALTER TABLE messages ADD COLUMN cancelled_by TEXT;
      CREATE UNIQUE INDEX messages_superseded_by ON messages(supersedes) WHERE supersedes IS NOT NULL;
      CREATE INDEX messages_cap ON messages(cap_sender, cap_identifier) WHERE cap_identifier IS NOT NULL;
      CREATE INDEX messages_expiring ON messages(expires_at) WHERE expires_at IS NOT NULL AND expiry_done = 0;
      CREATE INDEX messages_retraction ON messages(retraction_of) WHERE retraction_of IS NOT NULL;

      ALTER TABLE deliveries ADD COLUMN updates_bulletin INTEGER;
      ALTER TABLE deliveries ADD COLUMN withdrawn TEXT;
      ALTER TABLE deliveries ADD COLUMN waits_for TEXT;
      CREATE INDEX deliveries_waiting ON deliveries(waits_for) WHERE waits_for IS NOT NULL;
      CREATE INDEX deliveries_message_recipient ON deliveries(message_id, recipient_id);

      -- Numbered under the audit head's lock at commit (PostgresTransaction),
      -- not by a sequence: a reader never misses a number committed late.
      CREATE TABLE withdrawals (
        seq BIGINT PRIMARY KEY,
        message_id TEXT NOT NULL,
        state TEXT NOT NULL,
        at TEXT NOT NULL
      );
      """
    ),
    (
      "0006-audit-chain",
      """
      ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
      ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
      -- The chain's head, one row: every node appends after it, in turn.
      CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq BIGINT NOT NULL,
        hash TEXT NOT NULL,
        withdrawal_seq BIGINT NOT NULL
      );
      INSERT INTO audit_head (id, seq, hash, withdrawal_seq)
        VALUES (1, 0, '\(AuditChain.genesis)', 0);
      """
    ),
    (
      "0007-fewer-indexes",
      """
      -- Nothing to drop: PostgreSQL's 0001 never made audit_at and
      -- deliveries_message (the SQLite migration drops them).
      SELECT 1;
      """
    ),
    (
      "0008-retention",
      """
      ALTER TABLE audit_events ADD COLUMN personal TEXT;
      ALTER TABLE messages ADD COLUMN pseudonymised_at TEXT;
      CREATE INDEX messages_retained ON messages(accepted_at) WHERE pseudonymised_at IS NULL;
      """
    ),
    (
      "0009-cap-keys-per-token",
      """
      UPDATE messages
      SET idempotency_key = idempotency_key || ',api:'
        || substr(sender_origin, 5, strpos(sender_origin, '@') - 5)
      WHERE cap_identifier IS NOT NULL AND sender_origin LIKE 'api:%@%'
        AND idempotency_key = 'cap:' || cap_sender || ',' || cap_identifier
        AND length(idempotency_key) + strpos(sender_origin, '@') <= 200;
      """
    ),
  ]

  /// Applies the migrations not yet applied, each in a transaction of its
  /// own, while holding the migration lock.
  static func migrate(_ connection: PostgresConnection) throws {
    try connection.query("SELECT pg_advisory_lock($1)", [migrationLock])
    defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [migrationLock]) }
    try connection.execute(
      """
      CREATE TABLE IF NOT EXISTS commsd_migrations (
        name TEXT PRIMARY KEY,
        applied_at TEXT NOT NULL
      )
      """)
    let applied = Set(
      try connection.query("SELECT name FROM commsd_migrations").map { try $0[0] as String })
    for migration in migrations where !applied.contains(migration.name) {
      try connection.execute("BEGIN")
      do {
        try connection.execute(migration.sql)
        try connection.query(
          "INSERT INTO commsd_migrations (name, applied_at) VALUES ($1, $2)",
          [migration.name, Timestamp.format(Date())])
        try connection.execute("COMMIT")
      } catch {
        _ = try? connection.execute("ROLLBACK")
        throw error
      }
    }
  }
}
