import Foundation

/// What `commsd send` hands the running daemon over its intake socket, and
/// what it hears back. JSON, one frame each way (see `SocketFrames`).
public enum IntakeWire {
  /// A send request without its sender: the daemon works out who is asking
  /// from the socket's peer credentials.
  public struct Request: Codable, Sendable {
    public var audiences: [String]
    public var priority: Priority
    public var kind: MessageKind
    public var contents: [String: MessageContent]
    public var idempotencyKey: String?
    public var filter: RecipientFilter
    public var supersedes: MessageID?
    public var expiresAt: Date?
    public var mode: MessageMode
    public var cap: CAPIdentity?
    public var confirmation: ConfirmationRequest?
    /// Optional on the wire: a client of the version before sends none.
    public var declinesConfirmation: Bool?
    /// The name the client gives for its operator. Not trusted: the daemon
    /// names the operator from the peer credentials (`OperatorName`); kept
    /// so that clients of the version before can still talk to this daemon.
    public var claimedName: String
    /// The person the client says is behind a `sudo` (its `SUDO_USER`):
    /// recorded as an unverified claim where the kernel has no login uid.
    public var claimedPerson: String?
    /// Optional on the wire: a client of the version before sends none.
    public var notBefore: Date?
    public var template: String?
    public var draft: DraftID?

    public init(_ request: SendRequest) {
      audiences = request.audiences
      priority = request.priority
      kind = request.kind
      contents = request.contents
      idempotencyKey = request.idempotencyKey
      filter = request.filter
      supersedes = request.supersedes
      expiresAt = request.expiresAt
      mode = request.mode
      cap = request.cap
      confirmation = request.confirmation
      declinesConfirmation = request.declinesConfirmation ? true : nil
      claimedName = request.sender.name
      claimedPerson = ProcessInfo.processInfo.environment["SUDO_USER"]
      notBefore = request.notBefore
      template = request.template
      draft = request.draft
    }

    public func sendRequest(sender: Sender) -> SendRequest {
      var request = SendRequest(
        audiences: audiences, priority: priority, kind: kind, contents: contents,
        idempotencyKey: idempotencyKey, sender: sender, filter: filter, supersedes: supersedes,
        expiresAt: expiresAt, mode: mode, cap: cap, confirmation: confirmation)
      request.declinesConfirmation = declinesConfirmation ?? false
      request.notBefore = notBefore
      request.template = template
      request.draft = draft
      return request
    }
  }

  /// The daemon's answer.
  public enum Response: Codable, Sendable, Equatable {
    /// Durable now, under this id; `warnings` for the sender to read (an
    /// SMS text cut to fit, see `Intake.smsWarnings`); the audiences that
    /// wait for approval before it goes to them.
    case accepted(MessageID, warnings: [String] = [], awaitingApproval: [String] = [])
    /// Accepted earlier under the same idempotency key and content.
    case duplicate(MessageID)
    /// Invalid input; nothing was stored.
    case refused(field: String, message: String)
    /// A valid request the store would not take (e.g. an idempotency conflict); nothing stored.
    case conflict(message: String)
    /// The daemon could not decide (e.g. the store failed); nothing is known to be stored.
    case failed(message: String)
    /// A reply (`commsd mailgate`) is durable now: `outcome` says what it
    /// became (`inquiry`, `duplicate`, `automatic`, a confirmation), and
    /// `inquiry` its id when it is one.
    case received(outcome: String, inquiry: InquiryID?)
  }

  /// `commsd mailgate`'s request: a reply read from an email.
  public struct ReplyRequest: Codable, Sendable {
    public var reply: IncomingReply
    public init(reply: IncomingReply) { self.reply = reply }
  }

  /// The answer for a reply's outcome.
  public static func received(_ outcome: InquiryOutcome) -> Response {
    switch outcome {
    case .inquiry(let id, _, let duplicate):
      .received(outcome: duplicate ? "duplicate" : "inquiry", inquiry: id)
    case .automatic: .received(outcome: "automatic", inquiry: nil)
    case .confirmation: .received(outcome: "confirmation", inquiry: nil)
    }
  }

  /// The answer for a refusal thrown by intake or the store (invalid input,
  /// an unknown message to supersede, an idempotency conflict); nil for
  /// any other error, which is not the sender's to fix.
  public static func refusal(_ error: any Error) -> Response? {
    switch error {
    case let error as IntakeError: .refused(field: error.field, message: error.message)
    case StoreError.refused(let field, let message): .refused(field: field, message: message)
    case StoreError.idempotencyConflict: .conflict(message: "\(error)")
    default: nil
    }
  }

  /// The largest request frame the daemon reads: every language's body at its
  /// limit fits many times over; anything larger is refused unread.
  public static let maxRequestBytes = 4 * 1024 * 1024
}
