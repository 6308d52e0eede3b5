import GRDB

/// The SQLite schema as numbered migrations, applied at start by every
/// process that opens the store. A migration, once released, never changes:
/// a change is a new migration.
enum SQLiteSchema {
  static func migrator() -> DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("0001-queue-and-audit") { db in
      try db.execute(
        sql: """
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
          CREATE INDEX deliveries_message ON deliveries(message_id);

          CREATE TABLE audit_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            message_id TEXT,
            delivery_id TEXT,
            actor TEXT NOT NULL,
            detail TEXT NOT NULL
          );
          CREATE INDEX audit_message ON audit_events(message_id);
          """)
    }
    migrator.registerMigration("0002-targeting-bulletins-fallback") { db in
      try db.execute(
        sql: """
          ALTER TABLE messages ADD COLUMN filter TEXT NOT NULL DEFAULT '{"conditions":[]}';

          -- The last bulletin number of each audience; numbers are gapless and
          -- follow the order in which messages were accepted (planned).
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
          """)
    }
    migrator.registerMigration("0003-dosing") { db in
      try db.execute(
        sql: """
          -- Why a held delivery waits (quiet hours, cap reached, digest, minimum gap).
          ALTER TABLE deliveries ADD COLUMN hold_reason TEXT;
          CREATE INDEX deliveries_held ON deliveries(due_at) WHERE state = 'held';
          -- Dosing history: a person's recent messages in an audience.
          CREATE INDEX deliveries_audience_due ON deliveries(audience, due_at);
          """)
    }
    migrator.registerMigration("0004-digests") { db in
      try db.execute(
        sql: """
          -- A digested delivery names the digest delivery that carried it.
          ALTER TABLE deliveries ADD COLUMN digest_id TEXT;
          """)
    }
    migrator.registerMigration("0005-supersede-cancel-expiry") { db in
      try db.execute(
        sql: """
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
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id TEXT NOT NULL,
            state TEXT NOT NULL,
            at TEXT NOT NULL
          );
          """)
    }
    migrator.registerMigration("0006-audit-chain") { db in
      try db.execute(
        sql: """
          ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
          ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
          CREATE INDEX audit_at ON audit_events(at);
          """)
      // Chain the events written before the chain existed, in order.
      var previous = AuditChain.genesis
      for row in try Row.fetchAll(
        db,
        sql:
          "SELECT seq, at, kind, message_id, delivery_id, actor, detail FROM audit_events ORDER BY seq"
      ) {
        var link = AuditChain.Link(
          sequence: row[0], at: row[1], kind: row[2], messageID: row[3], deliveryID: row[4],
          actor: row[5], detail: row[6], previous: previous)
        link.hash = link.expectedHash
        try db.execute(
          sql: "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?",
          arguments: [link.previous, link.hash, link.sequence])
        previous = link.hash
      }
    }
    migrator.registerMigration("0007-fewer-indexes") { db in
      try db.execute(
        sql: """
          -- Each index is written on every insert of the hot path. A period's
          -- export scans the log in sequence order instead (rare, and it reads
          -- most of it anyway); (message_id, recipient_id) serves every query
          -- by message that (message_id) did.
          DROP INDEX audit_at;
          DROP INDEX deliveries_message;
          """)
    }
    migrator.registerMigration("0008-retention") { db in
      try db.execute(
        sql: """
          -- Personal data of an audit event, beside the chain: the chained
          -- detail commits to it (see AuditPersonal).
          ALTER TABLE audit_events ADD COLUMN personal TEXT;
          -- When the message's bodies and contact data were replaced by keyed
          -- hashes (the retention period); NULL while readable.
          ALTER TABLE messages ADD COLUMN pseudonymised_at TEXT;
          CREATE INDEX messages_retained ON messages(accepted_at) WHERE pseudonymised_at IS NULL;
          """)
    }
    migrator.registerMigration("0009-cap-keys-per-token") { db in
      try db.execute(
        sql: """
          -- A CAP alert's idempotency key is kept per principal: an API
          -- token's ends in ",api:TOKEN" (see CAPIntake.idempotencyKey). The
          -- alerts tokens fed before get theirs, so that the same feed posting
          -- one again is still answered "duplicate"; the operators' keep the
          -- old form, which is theirs. (A hashed key, cap-sha256:, cannot be
          -- redone here; such an alert fed again by its token is sent again.)
          UPDATE messages
          SET idempotency_key = idempotency_key || ',api:'
            || substr(sender_origin, 5, instr(sender_origin, '@') - 5)
          WHERE cap_identifier IS NOT NULL AND sender_origin LIKE 'api:%@%'
            AND idempotency_key = 'cap:' || cap_sender || ',' || cap_identifier
            AND length(idempotency_key) + instr(sender_origin, '@') <= 200;
          """)
    }
    return migrator
  }
}
