/// The store's schema as numbered migrations, written once for both
/// backends: where SQLite and PostgreSQL differ, the dialect says how
/// (`Dialect`). Each backend applies them its own way, SQLite through GRDB's
/// migrator (`SQLiteSchema`), PostgreSQL under an advisory lock
/// (`PostgresSchema`).
///
/// A migration, once released, never changes what it does: a change is a
/// new migration. `StoreSchemaTests` holds every released migration's SQL
/// for each dialect (comments and layout aside) to that.
///
/// Times are fixed-width RFC 3339 text on both, so they sort as text and the
/// row readers are shared.
enum StoreSchema {
  enum Dialect: Sendable {
    case sqlite
    case postgres

    /// A sequence number as the primary key. SQLite's AUTOINCREMENT never
    /// reuses a number; PostgreSQL's rows are numbered under the audit
    /// head's lock at commit (`PostgresTransaction`), not by a sequence, so
    /// that a reader never misses a number committed late.
    var sequenceKey: String {
      switch self {
      case .sqlite: "INTEGER PRIMARY KEY AUTOINCREMENT"
      case .postgres: "BIGINT PRIMARY KEY"
      }
    }

    /// The function that finds a substring's 1-based position (0: none).
    var position: String {
      switch self {
      case .sqlite: "instr"
      case .postgres: "strpos"
      }
    }
  }

  struct Migration: Sendable {
    let name: String
    let sql: String
  }

  /// Every migration in order, in the dialect's SQL.
  static func migrations(_ dialect: Dialect) -> [Migration] {
    [
      Migration(name: "0001-queue-and-audit", sql: queueAndAudit(dialect)),
      Migration(name: "0002-targeting-bulletins-fallback", sql: targetingBulletinsFallback),
      Migration(name: "0003-dosing", sql: dosing),
      Migration(name: "0004-digests", sql: digests),
      Migration(name: "0005-supersede-cancel-expiry", sql: supersedeCancelExpiry(dialect)),
      Migration(name: "0006-audit-chain", sql: auditChain(dialect)),
      Migration(name: "0007-fewer-indexes", sql: fewerIndexes(dialect)),
      Migration(name: "0008-retention", sql: retention),
      Migration(name: "0009-cap-keys-per-token", sql: capKeysPerToken(dialect)),
      Migration(name: "0010-receipts", sql: receipts),
      Migration(name: "0011-confirmations", sql: confirmations),
      Migration(name: "0012-confirmation-waves", sql: confirmationWaves),
      Migration(name: "0013-inquiries", sql: inquiries),
      Migration(name: "0014-approvals", sql: approvals),
      Migration(name: "0015-schedule-and-drafts", sql: scheduleAndDrafts),
      Migration(name: "0016-console-accounts", sql: consoleAccounts),
      Migration(name: "0017-console-sessions", sql: consoleSessions),
      Migration(name: "0018-planning-order", sql: planningOrder),
    ]
  }

  private static func queueAndAudit(_ dialect: Dialect) -> String {
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
    \(dialect == .sqlite ? "CREATE INDEX deliveries_message ON deliveries(message_id);" : "")

    CREATE TABLE audit_events (
      seq \(dialect.sequenceKey),
      at TEXT NOT NULL,
      kind TEXT NOT NULL,
      message_id TEXT,
      delivery_id TEXT,
      actor TEXT NOT NULL,
      detail TEXT NOT NULL
    );
    CREATE INDEX audit_message ON audit_events(message_id);
    """
  }

  private static let targetingBulletinsFallback = """
    ALTER TABLE messages ADD COLUMN filter TEXT NOT NULL DEFAULT '{"conditions":[]}';

    -- The last bulletin number of each audience; numbers are gapless and
    -- follow the order in which messages were accepted (planned). Taken in
    -- the accepting transaction: on PostgreSQL the row lock keeps them
    -- gapless across nodes.
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
    -- The recipient's contacts in order, as planned (JSON), for fallback.
    ALTER TABLE deliveries ADD COLUMN contacts TEXT NOT NULL DEFAULT '[]';
    """

  private static let dosing = """
    -- Why a held delivery waits (quiet hours, cap reached, digest, minimum gap).
    ALTER TABLE deliveries ADD COLUMN hold_reason TEXT;
    CREATE INDEX deliveries_held ON deliveries(due_at) WHERE state = 'held';
    -- Dosing history: a person's recent messages in an audience.
    CREATE INDEX deliveries_audience_due ON deliveries(audience, due_at);
    """

  private static let digests = """
    -- A digested delivery names the digest delivery that carried it.
    ALTER TABLE deliveries ADD COLUMN digest_id TEXT;
    """

  private static func supersedeCancelExpiry(_ dialect: Dialect) -> String {
    """
    ALTER TABLE messages ADD COLUMN supersedes TEXT;
    ALTER TABLE messages ADD COLUMN expires_at TEXT;
    -- 1 once the expiry has been applied to the message's deliveries.
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

    -- The predecessor's bulletin this reader already has (an update to it).
    ALTER TABLE deliveries ADD COLUMN updates_bulletin INTEGER;
    -- Set on a delivery in flight when its message is withdrawn
    -- (superseded, cancelled, expired): unless its attempt delivers it,
    -- it ends in that state rather than being retried.
    ALTER TABLE deliveries ADD COLUMN withdrawn TEXT;
    -- A delivery held until the predecessor's copy in flight has an outcome.
    ALTER TABLE deliveries ADD COLUMN waits_for TEXT;
    CREATE INDEX deliveries_waiting ON deliveries(waits_for) WHERE waits_for IS NOT NULL;
    CREATE INDEX deliveries_message_recipient ON deliveries(message_id, recipient_id);

    -- Messages withdrawn (in whole or for the deliveries not yet gone), in
    -- order, so a running daemon drops them from what it holds in memory.
    CREATE TABLE withdrawals (
      seq \(dialect.sequenceKey),
      message_id TEXT NOT NULL,
      state TEXT NOT NULL,
      at TEXT NOT NULL
    );
    """
  }

  /// SQLite chains the events written before the chain existed in Swift
  /// after this SQL (`SQLiteSchema`); a PostgreSQL store began with the
  /// chain, and keeps its head in a row every node appends after, in turn.
  private static func auditChain(_ dialect: Dialect) -> String {
    let columns = """
      ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
      ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
      """
    switch dialect {
    case .sqlite:
      return columns + "\nCREATE INDEX audit_at ON audit_events(at);"
    case .postgres:
      return columns + """

        CREATE TABLE audit_head (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          seq BIGINT NOT NULL,
          hash TEXT NOT NULL,
          withdrawal_seq BIGINT NOT NULL
        );
        INSERT INTO audit_head (id, seq, hash, withdrawal_seq)
          VALUES (1, 0, '\(AuditChain.genesis)', 0);
        """
    }
  }

  /// Each index is written on every insert of the hot path. A period's
  /// export scans the log in sequence order instead (rare, and it reads
  /// most of it anyway); (message_id, recipient_id) serves every query by
  /// message that (message_id) did. PostgreSQL's 0001 and 0006 never made
  /// the two.
  private static func fewerIndexes(_ dialect: Dialect) -> String {
    switch dialect {
    case .sqlite: "DROP INDEX audit_at;\nDROP INDEX deliveries_message;"
    case .postgres: "SELECT 1;"
    }
  }

  private static let retention = """
    -- Personal data of an audit event, beside the chain: the chained
    -- detail commits to it (see AuditPersonal).
    ALTER TABLE audit_events ADD COLUMN personal TEXT;
    -- When the message's bodies and contact data were replaced by keyed
    -- hashes (the retention period); NULL while readable.
    ALTER TABLE messages ADD COLUMN pseudonymised_at TEXT;
    CREATE INDEX messages_retained ON messages(accepted_at) WHERE pseudonymised_at IS NULL;
    """

  /// Over an endpoint with receipts: when the gateway took the message
  /// (`sent`), the provider's time of the receipt applied (later receipts
  /// are ordered against it) and the provider's own id for the message.
  /// A `sent` delivery's `due_at` is its receipt deadline.
  private static let receipts = """
    ALTER TABLE deliveries ADD COLUMN sent_at TEXT;
    ALTER TABLE deliveries ADD COLUMN receipt_at TEXT;
    ALTER TABLE deliveries ADD COLUMN provider_ref TEXT;
    CREATE INDEX deliveries_awaiting_receipt ON deliveries(due_at) WHERE state = 'sent';
    CREATE INDEX deliveries_provider_ref ON deliveries(endpoint, provider_ref)
      WHERE provider_ref IS NOT NULL;
    """

  /// A message may ask its readers to confirm (`messages.confirmation`, a
  /// `ConfirmationRequest` in JSON); each person's first confirmation is
  /// one row, tied to the delivery it came through.
  private static let confirmations = """
    ALTER TABLE messages ADD COLUMN confirmation TEXT;
    CREATE TABLE confirmations (
      message_id TEXT NOT NULL,
      recipient_id TEXT NOT NULL,
      delivery_id TEXT NOT NULL REFERENCES deliveries(id),
      confirmed_at TEXT NOT NULL,
      via TEXT NOT NULL,
      actor TEXT NOT NULL,
      note TEXT,
      late INTEGER NOT NULL,
      PRIMARY KEY (message_id, recipient_id)
    );
    """

  /// Escalation waves (`--escalate-after`): when a message's next wave is
  /// due (null: none, or no more), each wave planned, and the deliveries a
  /// wave added with the people they chase. A wave's deliveries are the
  /// message's own (same table, same dispatch), told apart by
  /// `wave_deliveries`, so a plan's reach and its people stay wave 1's.
  private static let confirmationWaves = """
    ALTER TABLE messages ADD COLUMN next_wave_at TEXT;
    CREATE INDEX messages_next_wave ON messages(next_wave_at) WHERE next_wave_at IS NOT NULL;
    CREATE TABLE confirmation_waves (
      message_id TEXT NOT NULL REFERENCES messages(id),
      wave INTEGER NOT NULL,
      planned_at TEXT NOT NULL,
      target TEXT NOT NULL,
      chased INTEGER NOT NULL,
      deliveries INTEGER NOT NULL,
      PRIMARY KEY (message_id, wave)
    );
    CREATE TABLE wave_deliveries (
      delivery_id TEXT PRIMARY KEY REFERENCES deliveries(id),
      message_id TEXT NOT NULL,
      wave INTEGER NOT NULL,
      chasing TEXT NOT NULL
    );
    CREATE INDEX wave_deliveries_message ON wave_deliveries(message_id);
    """

  /// A CAP alert's idempotency key is kept per principal: an API token's
  /// ends in ",api:TOKEN" (see CAPIntake.idempotencyKey). The alerts tokens
  /// fed before get theirs, so that the same feed posting one again is
  /// still answered "duplicate"; the operators' keep the old form, which is
  /// theirs. (A hashed key, cap-sha256:, cannot be redone here; such an
  /// alert fed again by its token is sent again.)
  private static func capKeysPerToken(_ dialect: Dialect) -> String {
    let at = "\(dialect.position)(sender_origin, '@')"
    return """
      UPDATE messages
      SET idempotency_key = idempotency_key || ',api:'
        || substr(sender_origin, 5, \(at) - 5)
      WHERE cap_identifier IS NOT NULL AND sender_origin LIKE 'api:%@%'
        AND idempotency_key = 'cap:' || cap_sender || ',' || cap_identifier
        AND length(idempotency_key) + \(at) <= 200;
      """
  }
}
