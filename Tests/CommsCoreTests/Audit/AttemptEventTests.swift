import Foundation
import Testing

@testable import CommsCore

/// An attempt's audit event is written straight into JSON on the hot path
/// (issue 25); its detail must stay what the dictionary of its members
/// gives, since reports and exports read it and the chain hashes it.
@Suite struct AttemptEventTests {
  let at = Date(timeIntervalSince1970: 1_790_000_000.25)

  /// The detail as the event wrote it before: its members in a dictionary.
  func expectedDetail(_ outcome: AttemptRecord, withdrawn: DeliveryState?) -> [String: String] {
    var state = outcome.newState
    if let withdrawn, !state.wentOut { state = withdrawn }
    var detail = [
      "target": outcome.target, "attempt": String(outcome.attempt),
      "duration_ms": String(Int((outcome.duration.seconds * 1000).rounded())),
    ]
    if outcome.statusCode != 0 { detail["status"] = String(outcome.statusCode) }
    if let due = outcome.dueAt, state == .sent {
      detail["receipt_by"] = Timestamp.format(due)
    } else if let due = outcome.dueAt, withdrawn == nil {
      detail["retry_at"] = Timestamp.format(due)
    }
    if let withdrawn { detail["withdrawn"] = withdrawn.rawValue }
    return detail
  }

  @Test func theWrittenDetailIsTheDictionarysBytes() {
    var generator = SeededGenerator(state: 11)
    let states: [DeliveryState] = [.delivered, .sent, .retrying, .dead]
    let withdrawals: [DeliveryState?] = [nil, .cancelled, .superseded, .expired]
    let targets = ["hooks", "relay \"1\"", "a\\b", "sms/æ", ""]
    for _ in 0..<400 {
      let state = states.randomElement(using: &generator) ?? .delivered
      let withdrawn = withdrawals.randomElement(using: &generator) ?? nil
      let outcome = AttemptRecord(
        deliveryID: DeliveryID(rawValue: "dlv_1"), messageID: MessageID(rawValue: "msg_1"),
        newState: state,
        dueAt: Bool.random(using: &generator)
          ? at.addingTimeInterval(Double(Int.random(in: 1...9_999, using: &generator))) : nil,
        at: at, target: targets.randomElement(using: &generator) ?? "",
        statusCode: [0, 200, 202, 503].randomElement(using: &generator) ?? 0, error: nil,
        duration: .milliseconds(Int.random(in: 0...90_000, using: &generator)),
        attempt: Int.random(in: 1...12, using: &generator))
      let event = AuditEvent.attempt(outcome, withdrawn: withdrawn, owner: "node-a")
      let link = AuditChain.Link(event: event, after: (0, AuditChain.genesis))
      #expect(link.detail == JSONWriter.object(expectedDetail(outcome, withdrawn: withdrawn)))
      var shown = state
      if let withdrawn, !state.wentOut { shown = withdrawn }
      #expect(event.kind == "delivery.\(shown.rawValue)")
      #expect(link.personal == nil)
      #expect(AuditChain.firstProblem(in: [link], after: (0, AuditChain.genesis)) == nil)
    }
  }

  @Test func anErrorIsSealedBesideTheChain() throws {
    let outcome = AttemptRecord(
      deliveryID: DeliveryID(rawValue: "dlv_1"), messageID: MessageID(rawValue: "msg_1"),
      newState: .retrying, dueAt: at.addingTimeInterval(30), at: at, target: "relay",
      statusCode: 451, error: "mailbox a@b.dk busy", duration: .milliseconds(12), attempt: 2)
    let link = AuditChain.Link(
      event: .attempt(outcome, withdrawn: nil, owner: "node-a"), after: (0, AuditChain.genesis))
    let detail = try JSONDecoder().decode([String: String].self, from: Data(link.detail.utf8))
    #expect(detail["retry_at"] == Timestamp.format(at.addingTimeInterval(30)))
    #expect(detail["status"] == "451")
    #expect(detail[AuditPersonal.commitmentKey] != nil)
    #expect(!link.detail.contains("a@b.dk"))
    #expect(link.personal?.contains("a@b.dk") == true)
    #expect(AuditChain.firstProblem(in: [link], after: (0, AuditChain.genesis)) == nil)
  }

  @Test func membersAddedToAWrittenDetailAreKept() {
    var event = AuditEvent(
      kind: "delivery.delivered", at: at, messageID: nil, deliveryID: nil, actor: "node-a",
      writtenDetail: #"{"attempt":"1","target":"hooks"}"#)
    event.detail["note"] = "later"
    event.personal["error"] = "x@y.dk"
    let link = AuditChain.Link(event: event, after: (0, AuditChain.genesis))
    #expect(link.detail.hasPrefix(#"{"attempt":"1","note":"later","personal":"#))
    #expect(link.detail.hasSuffix(#","target":"hooks"}"#))
    #expect(AuditChain.firstProblem(in: [link], after: (0, AuditChain.genesis)) == nil)
  }
}
