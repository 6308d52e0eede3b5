import Foundation

/// One audience of a message that waits for a second person's approval
/// (`[audiences.NAME.approval]`), as intake decided it: the rule and the
/// approvers as they were when the message was accepted, so that a later
/// change of the configuration does not move a decision under way.
public struct ApprovalGate: Sendable, Hashable, Codable {
  public enum State: String, Sendable, Codable {
    /// Waiting for approvers; the audience is not planned.
    case pending
    /// Approved (by enough approvers, or by `on_timeout = "send"`).
    case approved
    /// Rejected by an approver: the audience never gets it.
    case rejected
    /// The message was cancelled or superseded while waiting.
    case withdrawn
    /// A flash message, which no approval holds: sent without approval.
    case bypassed
  }

  public var audience: String
  public var state: State
  public var approvers: [Approver]
  public var required: Int
  public var notSender: Bool
  public var othersWait: Bool
  public var remindEvery: Int64
  public var timeout: Int64?
  public var onTimeout: String

  public init(audience: String, state: State, rule: ApprovalRule, approvers: [Approver]) {
    self.audience = audience
    self.state = state
    self.approvers = approvers
    required = rule.required
    notSender = rule.notSender
    othersWait = rule.othersWait
    remindEvery = rule.remindEvery.components.seconds
    timeout = rule.timeout?.components.seconds
    onTimeout = rule.onTimeout.rawValue
  }
}

/// A person who may approve: the recipient (told over their contacts) and
/// the Unix user or API token that counts as them (`operator` attribute).
public struct Approver: Sendable, Hashable, Codable {
  public var id: String
  public var name: String
  public var operatorName: String?

  public init(id: String, name: String, operatorName: String?) {
    self.id = id
    self.name = name
    self.operatorName = operatorName
  }

  enum CodingKeys: String, CodingKey {
    case id, name
    case operatorName = "operator"
  }
}

extension Message {
  /// The audiences intake held for approval (`approvalGates`, pending).
  public var awaitingApproval: [String] {
    (approvalGates ?? []).filter { $0.state == .pending }.map(\.audience)
  }
}

extension Intake {
  /// The approvals `request`'s audiences ask for: pending for each that
  /// has a rule, bypassed for a flash message (which no approval holds);
  /// refuses a flash message to an audience that will not take one
  /// without approval (`flash = "refuse"`).
  func approvalGates(_ request: SendRequest) throws(IntakeError) -> [ApprovalGate] {
    var gates: [ApprovalGate] = []
    for audience in request.audiences {
      guard let rule = configuration.audiences[audience]?.approval else { continue }
      if request.priority == .flash, rule.flash == .refuse {
        throw IntakeError(
          field: "priority",
          "\(audience) takes no flash message without approval ([audiences.\(audience).approval] flash = \"refuse\"); send it urgent to have it approved, or leave \(audience) out"
        )
      }
      let approvers = rule.approvers.map { id in
        let person = directory.recipient(id: id)
        return Approver(
          id: id, name: person?.name ?? id, operatorName: person?.attributes["operator"])
      }
      gates.append(
        ApprovalGate(
          audience: audience, state: request.priority == .flash ? .bypassed : .pending, rule: rule,
          approvers: approvers))
    }
    return gates
  }
}
