import Foundation

/// The audit event of a decision that was refused (not an approver, the
/// sender's own approval, a second vote): the refusal is part of the
/// record of who tried what.
public enum ApprovalAudit {
  public static func refused(_ decision: ApprovalDecision, message: String) -> AuditEvent {
    AuditEvent(
      kind: "approval.refused", at: decision.at, messageID: decision.messageID,
      actor: "\(decision.decider.name) (\(decision.via))",
      detail: [
        "decision": decision.verdict.rawValue, "audience": decision.audience ?? "",
        "reason": message,
      ])
  }
}
