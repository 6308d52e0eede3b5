import Foundation

/// What a sender asks for, before validation: the shape shared by the CLI and,
/// later, the HTTP API.
public struct SendRequest: Sendable {
  public var audiences: [String]
  public var priority: Priority
  public var kind: MessageKind
  /// Content per language; must hold the configured default language.
  public var contents: [String: MessageContent]
  public var idempotencyKey: String?
  public var sender: Sender
  /// Narrows the audiences by recipient attributes (`--where unit=solgaarden`).
  public var filter: RecipientFilter
  /// The message this one replaces (`--supersedes ID`).
  public var supersedes: MessageID?
  /// When undelivered copies stop being worth sending (`--expires TIME`).
  public var expiresAt: Date?
  /// Real, exercise or test (`--mode`).
  public var mode: MessageMode
  /// The CAP alert it came from, if any.
  public var cap: CAPIdentity?
  /// Readers asked to confirm (`--confirm`); nil: as the audiences ask.
  public var confirmation: ConfirmationRequest?
  /// The sender asks for no confirmation, whatever the audiences ask
  /// (`--no-confirm`, `"confirm": false`).
  public var declinesConfirmation = false
  /// Held until then (`--at`, `--in`, `not_before`); nil or past: at once.
  public var notBefore: Date?
  /// The template it was composed from, by name (already rendered into `contents`).
  public var template: String?
  /// The draft it is sent from.
  public var draft: DraftID?
  /// From a template: the values its variables were given, and, when the
  /// expiry is the template's own (not typed), that span from the release
  /// — what a draft keeps, to render anew and to count the expiry from
  /// whenever it is sent. Intake does not read them.
  public var templateValues: [String: String]?
  public var expiresAfterRelease: Duration?

  public init(
    audiences: [String], priority: Priority, kind: MessageKind = .alert,
    contents: [String: MessageContent], idempotencyKey: String? = nil, sender: Sender,
    filter: RecipientFilter = RecipientFilter(), supersedes: MessageID? = nil,
    expiresAt: Date? = nil, mode: MessageMode = .actual, cap: CAPIdentity? = nil,
    confirmation: ConfirmationRequest? = nil
  ) {
    self.confirmation = confirmation
    self.supersedes = supersedes
    self.expiresAt = expiresAt
    self.mode = mode
    self.cap = cap
    self.audiences = audiences
    self.priority = priority
    self.kind = kind
    self.contents = contents
    self.idempotencyKey = idempotencyKey
    self.sender = sender
    self.filter = filter
  }
}
