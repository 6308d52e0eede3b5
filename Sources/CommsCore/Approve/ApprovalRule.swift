import Foundation

/// `[audiences.NAME.approval]`: four eyes before a message reaches this
/// audience.
///
/// ```toml
/// [audiences.citizens.approval]
/// approvers = ["pol-vagt", "kst-leder"]  # recipient ids: told over their contacts
/// required = 1            # distinct approvers needed
/// not_sender = true       # the sender's own approval does not count
/// remind_every = "5m"     # approvers are told again until it is decided
/// timeout = "30m"         # then on_timeout: "hold" (keep waiting) or "send"
/// on_timeout = "hold"
/// flash = "send"          # flash is never held: "send" (flagged) or "refuse"
/// others = "wait"         # the message's other audiences wait too, or "go"
/// ```
///
/// An approver is a person in the recipient lists; their attribute
/// `operator` names their Unix user or API token, so that `commsd approve`
/// and the API count as them (and `not_sender` knows their messages).
public struct ApprovalRule: Sendable, Equatable {
  public enum OnTimeout: String, Sendable {
    /// Keep waiting (reminders go on); audited `approval.timed_out`.
    case hold
    /// Go as if approved, flagged and audited.
    case send
  }

  public enum Flash: String, Sendable {
    /// A flash message goes at once, flagged "sent without approval".
    case send
    /// A flash message to this audience is refused at intake.
    case refuse
  }

  public var approvers: [String]
  public var required: Int
  public var notSender: Bool
  public var remindEvery: Duration
  public var timeout: Duration?
  public var onTimeout: OnTimeout
  public var flash: Flash
  /// Whether the message's other audiences wait for this decision.
  public var othersWait: Bool
  /// Where each approver is written (configuration line), for the check
  /// against the recipient lists.
  public var approverLines: [Int] = []
  /// The line of the `[audiences.NAME.approval]` table.
  public var line = 0

  public init(
    approvers: [String], required: Int = 1, notSender: Bool = true,
    remindEvery: Duration = .seconds(300), timeout: Duration? = nil, onTimeout: OnTimeout = .hold,
    flash: Flash = .send, othersWait: Bool = true
  ) {
    self.approvers = approvers
    self.required = required
    self.notSender = notSender
    self.remindEvery = remindEvery
    self.timeout = timeout
    self.onTimeout = onTimeout
    self.flash = flash
    self.othersWait = othersWait
  }
}
