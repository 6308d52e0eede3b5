import Foundation

/// Subject and body in one language.
public struct MessageContent: Sendable, Codable, Hashable {
  public var subject: String
  public var body: String
  /// The text SMS readers get instead of a shortened rendering, as the
  /// operator wrote it (`--sms-body`); absent (and not stored) when none.
  public var sms: String?

  public init(subject: String, body: String, sms: String? = nil) {
    self.subject = subject
    self.body = body
    self.sms = sms
  }
}

/// What an operator writes once: audiences, priority, kind, content per
/// language, and who sent it. Immutable once accepted.
public struct Message: Sendable, Codable, Hashable {
  public var id: MessageID
  public var idempotencyKey: String?
  public var sender: Sender
  public var audiences: [String]
  public var priority: Priority
  public var kind: MessageKind
  /// Content per language code (`da`, `en`, …); `defaultLanguage` is always present.
  public var contents: [String: MessageContent]
  public var defaultLanguage: String
  public var acceptedAt: Date
  /// Narrows the audiences by recipient attributes; empty means everyone.
  public var filter: RecipientFilter
  /// The message this one replaces (`commsd send --supersedes`, a CAP
  /// Update): its deliveries that have not gone are withdrawn as
  /// `superseded` when this one is planned.
  public var supersedes: MessageID?
  /// Deliveries that have not arrived by then are withdrawn as `expired`.
  public var expiresAt: Date?
  /// Real, or an exercise or test, marked as such to every reader.
  public var mode: MessageMode
  /// For a message that came in as a CAP alert: the alert's identity.
  public var cap: CAPIdentity?
  /// For a retraction commsd composed for `commsd cancel --notify`: the
  /// message it withdraws.
  public var retractionOf: MessageID?
  /// Whether, by when and how readers are asked to confirm they understood.
  public var confirmation: ConfirmationRequest?
  /// For a message commsd composed about a question that came back (its
  /// copy for the handlers, the acknowledgement, the answer): which, and
  /// for the handlers the question itself.
  public var inquiry: InquiryNotice?
  /// The approvals intake found its audiences ask for, written by the
  /// accepting transaction to the store's `approvals`; nil on a message
  /// read back (`Store.approvals(of:)` has them).
  public var approvalGates: [ApprovalGate]?
  /// Scheduled release (`--at`, `--in`, API `not_before`, CAP
  /// `effective`): nothing is planned, numbered or dosed before it.
  public var notBefore: Date?
  /// The template it was composed from (`--template`), by name, and the
  /// draft it was sent from (`commsd draft send`): where it came from, for
  /// the audit; the text itself was copied in when it was sent.
  public var template: String?
  public var draft: DraftID?

  public init(
    id: MessageID, idempotencyKey: String?, sender: Sender, audiences: [String],
    priority: Priority, kind: MessageKind, contents: [String: MessageContent],
    defaultLanguage: String, acceptedAt: Date, filter: RecipientFilter = RecipientFilter(),
    supersedes: MessageID? = nil, expiresAt: Date? = nil, mode: MessageMode = .actual,
    cap: CAPIdentity? = nil, retractionOf: MessageID? = nil,
    confirmation: ConfirmationRequest? = nil, inquiry: InquiryNotice? = nil
  ) {
    self.inquiry = inquiry
    self.confirmation = confirmation
    self.supersedes = supersedes
    self.expiresAt = expiresAt
    self.mode = mode
    self.cap = cap
    self.retractionOf = retractionOf
    self.id = id
    self.idempotencyKey = idempotencyKey
    self.sender = sender
    self.audiences = audiences
    self.priority = priority
    self.kind = kind
    self.contents = contents
    self.defaultLanguage = defaultLanguage
    self.acceptedAt = acceptedAt
    self.filter = filter
  }

  /// Whether it waits for a release time that was still ahead when it was accepted.
  public var isScheduled: Bool { notBefore.map { $0 > acceptedAt } ?? false }

  /// When it starts for its readers: its release time when scheduled, else
  /// its acceptance. Confirmation deadlines and escalation waves count from here.
  public var startsAt: Date { max(acceptedAt, notBefore ?? acceptedAt) }

  /// The content for `language`, else the default language's.
  public func content(for language: String) -> (language: String, content: MessageContent) {
    if let content = contents[language] { return (language, content) }
    return (defaultLanguage, contents[defaultLanguage] ?? MessageContent(subject: "", body: ""))
  }
}
