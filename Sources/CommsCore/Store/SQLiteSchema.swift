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
    return migrator
  }
}
