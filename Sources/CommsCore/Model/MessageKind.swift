/// What kind of communication a message is, shown to the reader.
///
/// The crisis reports asked for honest process information ("we do not know
/// yet, we are looking into it") next to alerts and updates, and an explicit
/// all-clear when it is over.
public enum MessageKind: String, Sendable, Codable, CaseIterable {
  case alert
  case update
  case process
  case allClear = "all-clear"
  /// commsd's notice that an earlier message was withdrawn (`cancel --notify`).
  case retraction
  /// commsd's copy of a reader's question for the people who answer it
  /// (and the reminder when it stays unanswered).
  case inquiry
  /// commsd's acknowledgement of a question, or an operator's answer to
  /// one person (`commsd inbox answer`).
  case answer
  /// commsd's request to approvers to decide on a message that waits for
  /// their approval (`[audiences.NAME.approval]`).
  case approval

  /// Whether it is one side of a conversation with one person (a question
  /// forwarded, acknowledged or answered; a request to approve) rather
  /// than a bulletin: it takes
  /// no bulletin number and no audience template.
  public var isConversation: Bool { self == .inquiry || self == .answer || self == .approval }

  /// The kinds `isConversation` holds, as an SQL list.
  static let conversationSQL = "('inquiry', 'answer', 'approval')"
}
