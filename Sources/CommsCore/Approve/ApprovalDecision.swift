import Foundation

/// An approver's decision on a message waiting for approval: from
/// `commsd approve|reject`, the API, or the link in their notice.
public struct ApprovalDecision: Sendable {
  public enum Verdict: String, Sendable, Codable {
    case approve, reject
  }

  /// Who decides.
  public enum Decider: Sendable {
    /// A Unix user or API token by name; `mayApprove` says for which
    /// audiences their `approve` right (`[[operators]]`, the token) holds
    /// even when no approver names them.
    case operatorName(String, mayApprove: @Sendable (String) -> Bool)
    /// The approver whose notice's link was used (a recipient id).
    case recipient(String)

    public var name: String {
      switch self {
      case .operatorName(let name, _), .recipient(let name): name
      }
    }
  }

  public var messageID: MessageID
  public var verdict: Verdict
  public var decider: Decider
  /// How: `cli`, `api`, `link`, `teams`.
  public var via: String
  /// Only this audience; nil: every waiting audience the decider may decide.
  public var audience: String?
  public var reason: String?
  public var at: Date

  public init(
    messageID: MessageID, verdict: Verdict, decider: Decider, via: String, audience: String? = nil,
    reason: String? = nil, at: Date
  ) {
    self.messageID = messageID
    self.verdict = verdict
    self.decider = decider
    self.via = via
    self.audience = audience
    self.reason = reason
    self.at = at
  }

  /// A reason typed by a person: one line or a few, at most 500 characters.
  public static func checkedReason(_ text: String?, required: Bool) throws(IntakeError) -> String? {
    let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    if trimmed.isEmpty {
      if required { throw IntakeError(field: "reason", "say why it is rejected") }
      return nil
    }
    guard trimmed.count <= 500 else {
      throw IntakeError(field: "reason", "at most 500 characters, found \(trimmed.count)")
    }
    guard
      !trimmed.unicodeScalars.contains(where: {
        $0.properties.generalCategory == .control && $0 != "\n"
      })
    else { throw IntakeError(field: "reason", "contains control characters") }
    return trimmed
  }
}

/// What a decision did, per audience.
public struct ApprovalOutcome: Sendable, Equatable {
  public struct Decided: Sendable, Equatable {
    public var audience: String
    /// approved, rejected, or pending (this vote counted, more are needed).
    public var state: ApprovalGate.State
    public var votes: Int
    public var required: Int
    /// From the request to the decision.
    public var waited: TimeInterval
  }

  public var messageID: MessageID
  public var decided: [Decided]
}
