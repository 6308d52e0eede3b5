extension StoreSchema {
  /// Four eyes (`ApprovalGate`): one row per audience of a message that
  /// waits for approval (or went without it, flash), with the rule and the
  /// approvers as they were at acceptance; each approver's decision; and
  /// which delivery asked which approver (the link names the delivery).
  /// `remind_at` and `timeout_at` are cleared once decided, so the due ones
  /// are a small index, as are the pending ones (a state index would draw
  /// the planner's per-message look-ups away from the key); `planned_at` marks an audience approved after its
  /// message's other audiences went.
  static let approvals = """
    CREATE TABLE approvals (
      message_id TEXT NOT NULL,
      audience TEXT NOT NULL,
      state TEXT NOT NULL,
      approvers TEXT NOT NULL,
      required INTEGER NOT NULL,
      not_sender INTEGER NOT NULL,
      others_wait INTEGER NOT NULL,
      remind_every INTEGER NOT NULL,
      on_timeout TEXT NOT NULL,
      requested_at TEXT NOT NULL,
      remind_at TEXT,
      reminders INTEGER NOT NULL DEFAULT 0,
      timeout_at TEXT,
      timed_out_at TEXT,
      decided_at TEXT,
      decided_by TEXT,
      decided_via TEXT,
      reason TEXT,
      planned_at TEXT,
      PRIMARY KEY (message_id, audience)
    );
    CREATE INDEX approvals_pending ON approvals(requested_at) WHERE state = 'pending';
    CREATE INDEX approvals_requested ON approvals(requested_at);
    CREATE INDEX approvals_remind ON approvals(remind_at) WHERE remind_at IS NOT NULL;
    CREATE INDEX approvals_timeout ON approvals(timeout_at) WHERE timeout_at IS NOT NULL;
    CREATE INDEX approvals_unplanned ON approvals(message_id)
      WHERE state = 'approved' AND planned_at IS NULL;
    CREATE TABLE approval_votes (
      message_id TEXT NOT NULL,
      audience TEXT NOT NULL,
      approver TEXT NOT NULL,
      decision TEXT NOT NULL,
      via TEXT NOT NULL,
      at TEXT NOT NULL,
      reason TEXT,
      PRIMARY KEY (message_id, audience, approver)
    );
    CREATE TABLE approval_requests (
      delivery_id TEXT PRIMARY KEY,
      message_id TEXT NOT NULL,
      recipient_id TEXT NOT NULL
    );
    CREATE INDEX approval_requests_message ON approval_requests(message_id);
    """
}
