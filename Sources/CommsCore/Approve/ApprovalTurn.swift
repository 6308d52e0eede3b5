import Foundation
import Logging

/// One turn of the planning loop for approvals: apply the timeouts that
/// are due, then tell the approvers who are due a notice (the first at
/// once after acceptance, then every `remind_every` until decided).
struct ApprovalTurn: Sendable {
  let store: any Store
  let logger: Logger

  /// Returns how many approvals moved (timed out, or approvers told).
  func run(
    at now: Date, directory: RecipientDirectory, displayNames: [String: String],
    defaultLanguage: String
  ) async throws -> Int {
    var count = try await store.applyApprovalTimeouts(at: now)
    let due = try await store.approvalsDue(at: now)
    var generator = SystemRandomNumberGenerator()
    for (id, records) in Dictionary(grouping: due, by: \.messageID).sorted(by: {
      $0.key.rawValue < $1.key.rawValue
    }) {
      guard let message = try await store.message(id) else { continue }
      guard
        let (notice, deliveries) = ApprovalNotices.compose(
          for: message, records: records, directory: directory, displayNames: displayNames,
          defaultLanguage: defaultLanguage, at: now, using: &generator)
      else {
        logger.warning(
          "no approver of a waiting message can be told (all voted, or none has a contact)",
          metadata: ["message": "\(id)"])
        try await store.postponeApprovalNotice(records, at: now)
        continue
      }
      if try await store.askApprovers(records, notice: notice, deliveries: deliveries, at: now) {
        logger.notice(
          "approvers asked",
          metadata: [
            "message": "\(id)", "notice": "\(notice.id)",
            "audiences": "\(records.map(\.audience).joined(separator: ","))",
          ])
        count += 1
      }
    }
    return count
  }
}
