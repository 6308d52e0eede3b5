import Testing

@testable import CommsCore

/// What the daemon answers `commsd send` when intake or the store refuses.
@Suite struct IntakeWireTests {
  @Test func refusalsKeepTheFieldThatWasWrong() {
    #expect(
      IntakeWire.refusal(IntakeError(field: "subject", "must not be empty"))
        == .refused(field: "subject", message: "must not be empty"))
    #expect(
      IntakeWire.refusal(StoreError.refused(field: "supersedes", "there is no message msg_x"))
        == .refused(field: "supersedes", message: "there is no message msg_x"))
    let conflict = StoreError.idempotencyConflict(
      key: "k1", existing: MessageID(rawValue: "msg_01KTR59BC020QY3XQQ7T7GC39Y"))
    #expect(IntakeWire.refusal(conflict) == .conflict(message: conflict.description))
    // Not the sender's to fix: the daemon answers "failed" and logs it.
    #expect(IntakeWire.refusal(StoreError.corrupt("x")) == nil)
    #expect(IntakeWire.refusal(CancellationError()) == nil)
  }
}
