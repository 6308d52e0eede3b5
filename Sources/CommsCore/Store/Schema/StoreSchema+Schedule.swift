extension StoreSchema {
  /// Scheduled release (`messages.not_before`: planned, numbered and dosed
  /// only from then), where a message came from (`template`, `draft_id`),
  /// and drafts: stored and audited, never sent until an operator sends
  /// one. A draft's `content` is the request as composed (JSON); `revision`
  /// counts its edits, so an edit that crosses another is refused rather
  /// than lost.
  static let scheduleAndDrafts = """
    ALTER TABLE messages ADD COLUMN not_before TEXT;
    ALTER TABLE messages ADD COLUMN template TEXT;
    ALTER TABLE messages ADD COLUMN draft_id TEXT;
    CREATE INDEX messages_scheduled ON messages(not_before) WHERE planned_at IS NULL AND not_before IS NOT NULL;
    CREATE TABLE drafts (
      id TEXT PRIMARY KEY,
      state TEXT NOT NULL,
      content TEXT NOT NULL,
      revision INTEGER NOT NULL DEFAULT 1,
      created_by TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_by TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      closed_by TEXT,
      closed_at TEXT,
      message_id TEXT
    );
    CREATE INDEX drafts_open ON drafts(updated_at) WHERE state = 'open';
    """
}
