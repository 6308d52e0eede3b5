import Testing

@testable import CommsCore

@Suite struct DeliveryStateTests {
  @Test func happyPathIsLegal() throws {
    var state = DeliveryState.queued
    for next in [DeliveryState.ready, .sending, .retrying, .sending, .delivered] {
      state = try state.moving(to: next)
    }
    #expect(state == .delivered)
  }

  /// Except by an operator's retry of a dead delivery (dead → ready) and a
  /// provider's late receipt (unconfirmed → delivered or undeliverable,
  /// undeliverable → delivered).
  @Test func finalStatesCannotBeLeft() {
    #expect(DeliveryState.dead.canMove(to: .ready))
    let reopenings: Set<[DeliveryState]> = [
      [.dead, .ready], [.unconfirmed, .delivered], [.unconfirmed, .undeliverable],
      [.undeliverable, .delivered],
    ]
    for final in DeliveryState.allCases where final.isFinal {
      for next in DeliveryState.allCases where !reopenings.contains([final, next]) {
        #expect(throws: IllegalTransition(from: final, to: next)) { try final.moving(to: next) }
      }
    }
  }

  /// A delivery in flight ends in a withdrawal only through its outcome
  /// (see the store's withdrawal tests); the state machine allows it. A
  /// gateway that took it (sent) has it: no withdrawal takes it back.
  @Test func everyUnfinishedStateCanBeWithdrawn() {
    for withdrawal in [DeliveryState.cancelled, .superseded, .expired] {
      #expect(!DeliveryState.sent.canMove(to: withdrawal))
    }
    for state in DeliveryState.allCases where !state.isFinal && state != .sent {
      for withdrawal in [DeliveryState.cancelled, .superseded, .expired] {
        #expect(state.canMove(to: withdrawal))
      }
    }
    #expect(!DeliveryState.delivered.canMove(to: .superseded))
  }

  /// An attempt (sending) or a receipt (for what a gateway took) delivers;
  /// only an attempt kills.
  @Test func onlyAnAttemptOrAReceiptDelivers() {
    let receipts: Set<DeliveryState> = [.sent, .unconfirmed, .undeliverable]
    for state in DeliveryState.allCases where state != .sending {
      #expect(state.canMove(to: .delivered) == receipts.contains(state), "\(state)")
      #expect(!state.canMove(to: .dead))
    }
  }

  @Test func expiredLeaseReturnsToReady() {
    #expect(DeliveryState.sending.canMove(to: .ready))
  }

  @Test func errorNamesBothStates() {
    #expect(
      IllegalTransition(from: .delivered, to: .sending).description
        == "a delivery cannot move from 'delivered' to 'sending'")
  }
}
