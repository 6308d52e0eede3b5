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

  public init(
    audiences: [String], priority: Priority, kind: MessageKind = .alert,
    contents: [String: MessageContent], idempotencyKey: String? = nil, sender: Sender,
    filter: RecipientFilter = RecipientFilter()
  ) {
    self.audiences = audiences
    self.priority = priority
    self.kind = kind
    self.contents = contents
    self.idempotencyKey = idempotencyKey
    self.sender = sender
    self.filter = filter
  }
}
