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

  /// Except by an operator's retry of a dead delivery (dead → ready).
  @Test func finalStatesCannotBeLeft() {
    #expect(DeliveryState.dead.canMove(to: .ready))
    for final in DeliveryState.allCases where final.isFinal {
      for next in DeliveryState.allCases where (final, next) != (.dead, .ready) {
        #expect(throws: IllegalTransition(from: final, to: next)) { try final.moving(to: next) }
      }
    }
  }

  /// A delivery in flight ends in a withdrawal only through its outcome
  /// (see the store's withdrawal tests); the state machine allows it.
  @Test func everyUnfinishedStateCanBeWithdrawn() {
    for state in DeliveryState.allCases where !state.isFinal {
      for withdrawal in [DeliveryState.cancelled, .superseded, .expired] {
        #expect(state.canMove(to: withdrawal))
      }
    }
    #expect(!DeliveryState.delivered.canMove(to: .superseded))
  }

  @Test func onlySendingCanBeDeliveredOrDead() {
    for state in DeliveryState.allCases where state != .sending {
      #expect(!state.canMove(to: .delivered))
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
