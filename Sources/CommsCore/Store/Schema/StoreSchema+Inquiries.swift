extension StoreSchema {
  /// Questions and replies that came back (`Inquiry`), and on a message
  /// commsd composed about one, which (`messages.inquiry`). A provider's
  /// or MTA's second hand-in of the same reply finds the first by
  /// `(source, reference)`. `alert_at` is cleared once the handlers were
  /// reminded or the inquiry is done, so the due ones are a small index.
  static let inquiries = """
    ALTER TABLE messages ADD COLUMN inquiry TEXT;
    CREATE TABLE inquiries (
      id TEXT PRIMARY KEY,
      received_at TEXT NOT NULL,
      channel TEXT NOT NULL,
      source TEXT NOT NULL,
      reference TEXT,
      sender TEXT NOT NULL,
      sender_name TEXT,
      subject TEXT,
      text TEXT NOT NULL,
      recipient_id TEXT,
      recipient_name TEXT,
      audience TEXT,
      unit TEXT,
      language TEXT NOT NULL,
      message_id TEXT,
      delivery_id TEXT,
      bulletin INTEGER,
      matched_by TEXT NOT NULL,
      state TEXT NOT NULL,
      assignee TEXT,
      answered_at TEXT,
      answered_by TEXT,
      answer_message_id TEXT,
      closed_at TEXT,
      closed_by TEXT,
      close_reason TEXT,
      alert_at TEXT,
      alerted_at TEXT,
      acknowledgement_id TEXT,
      pseudonymised_at TEXT
    );
    CREATE UNIQUE INDEX inquiries_reference ON inquiries(source, reference)
      WHERE reference IS NOT NULL;
    CREATE INDEX inquiries_state ON inquiries(state, received_at);
    CREATE INDEX inquiries_alert ON inquiries(alert_at) WHERE alert_at IS NOT NULL;
    CREATE INDEX inquiries_recipient ON inquiries(recipient_id);
    CREATE INDEX inquiries_sender ON inquiries(sender);
    CREATE INDEX inquiries_retained ON inquiries(received_at) WHERE pseudonymised_at IS NULL;
    """
}
