import Foundation

/// What a draft holds: the message as composed, with a template's texts
/// already rendered (what the team reviews is what goes) and the template's
/// name and variables kept, so an edit of one variable renders it anew.
public struct DraftContent: Sendable, Codable, Equatable {
  public var audiences: [String]
  public var priority: Priority
  public var kind: MessageKind
  public var contents: [String: MessageContent]
  public var filter: RecipientFilter
  public var supersedes: MessageID?
  public var expiresAt: Date?
  /// An expiry that counts from the release (a template's `expires`): a
  /// draft prepared days before must not expire before it is sent.
  public var expiresAfterSeconds: Int?
  public var mode: MessageMode
  public var confirmation: ConfirmationRequest?
  public var declinesConfirmation: Bool
  public var notBefore: Date?
  public var template: String?
  public var variables: [String: String]?

  enum CodingKeys: String, CodingKey {
    case audiences, priority, kind, contents, filter, supersedes, mode, confirmation, template
    case variables = "vars"
    case expiresAt = "expires_at"
    case expiresAfterSeconds = "expires_after_seconds"
    case declinesConfirmation = "declines_confirmation"
    case notBefore = "not_before"
  }

  /// A template's own expiry (`SendRequest.expiresAfterRelease`) is kept
  /// as a span and counted anew from the release when the draft is sent.
  public init(_ request: SendRequest) {
    audiences = request.audiences
    priority = request.priority
    kind = request.kind
    contents = request.contents
    filter = request.filter
    supersedes = request.supersedes
    expiresAt = request.expiresAt
    mode = request.mode
    confirmation = request.confirmation
    declinesConfirmation = request.declinesConfirmation
    notBefore = request.notBefore
    template = request.template
    variables = request.template == nil ? nil : request.templateValues
    if let span = request.expiresAfterRelease {
      // Bounded by DurationText.maximum (ten years): fits an Int.
      expiresAfterSeconds = Int(span.components.seconds)
      expiresAt = nil
    }
  }

  /// The request that sends draft `id` for `sender`: its idempotency key is
  /// the draft's, so a second send (a retry, a colleague at the same moment)
  /// finds the first message instead of making another.
  public func request(
    sending id: DraftID, sender: Sender, now: Date, release: Date? = nil
  ) -> SendRequest {
    let notBefore = release ?? self.notBefore
    let expiresAt =
      self.expiresAt
      ?? expiresAfterSeconds.map {
        max(now, notBefore ?? now).addingTimeInterval(TimeInterval($0))
      }
    var request = SendRequest(
      audiences: audiences, priority: priority, kind: kind, contents: contents,
      idempotencyKey: "draft:\(id.rawValue)", sender: sender, filter: filter,
      supersedes: supersedes, expiresAt: expiresAt, mode: mode, confirmation: confirmation)
    request.declinesConfirmation = declinesConfirmation
    request.notBefore = notBefore
    request.template = template
    request.draft = id
    return request
  }

  /// The subject in `language`, for lists.
  public func subject(in language: String) -> String {
    (contents[language] ?? contents.values.first)?.subject ?? ""
  }
}

/// A stored draft: never sent until an operator sends it; who drafted,
/// edited and sent (or discarded) it is on record.
public struct Draft: Sendable, Codable {
  public enum State: String, Sendable, Codable {
    case open, sent, discarded
  }

  public var id: DraftID
  public var state: State
  public var content: DraftContent
  /// 1 when created, one more per edit.
  public var revision: Int
  public var createdBy: String
  public var createdAt: Date
  public var updatedBy: String
  public var updatedAt: Date
  public var closedBy: String?
  public var closedAt: Date?
  /// The message it became (`sent`).
  public var messageID: MessageID?

  enum CodingKeys: String, CodingKey {
    case id, state, content, revision
    case createdBy = "created_by"
    case createdAt = "created_at"
    case updatedBy = "updated_by"
    case updatedAt = "updated_at"
    case closedBy = "closed_by"
    case closedAt = "closed_at"
    case messageID = "message_id"
  }
}
