import Testing

@testable import CommsCore

/// The table of every state change is held to the state machine: a
/// transition the machine does not allow cannot be in it.
@Suite struct DeliveryTransitionTests {
  @Test(arguments: DeliveryTransition.all)
  func everyTransitionIsOneTheStateMachineAllows(_ transition: DeliveryTransition) {
    #expect(!transition.to.isEmpty)
    for from in transition.from {
      // Only an operator's retry and a provider's late receipt leave a final state.
      let reopens: [DeliveryTransition] = [.retryDead, .receiptDelivered, .receiptUndeliverable]
      #expect(!from.isFinal || reopens.contains(transition), "\(transition) leaves \(from)")
      for to in transition.to {
        #expect(from.canMove(to: to), "\(transition): \(from) → \(to)")
      }
    }
  }

  /// A new delivery starts where the planner or a fallback puts it:
  /// never in flight, never final.
  @Test func newDeliveriesStartUnfinishedAndNotInFlight() {
    for transition in DeliveryTransition.all where transition.from.isEmpty {
      for state in transition.to {
        #expect(!state.isFinal && state != .sending, "\(transition) makes \(state)")
      }
    }
  }

  /// Every move the state machine allows is made by some transition (or
  /// is a withdrawal, which `withdraw`, `record` and the lease returns
  /// make), so the machine has no edge the store never takes.
  @Test func everyAllowedMoveIsMadeBySomeTransition() {
    var made = Set<[DeliveryState]>()
    for transition in DeliveryTransition.all {
      for from in transition.from { for to in transition.to { made.insert([from, to]) } }
    }
    for from in DeliveryState.allCases {
      for to in DeliveryState.allCases where from.canMove(to: to) {
        // `queued` is the planner's in-memory start: it is written as held
        // or ready, or withdrawn before it is written.
        if from == .queued { continue }
        #expect(made.contains([from, to]), "no transition moves \(from) → \(to)")
      }
    }
  }

  @Test func theConditionNamesTheFromStates() {
    #expect(DeliveryTransition.lease.condition() == "state IN ('ready', 'retrying')")
    #expect(DeliveryTransition.retryDead.condition("d.state") == "d.state = 'dead'")
    #expect(DeliveryTransition.plan.condition() == "1 = 0")
  }

  @Test func namesAreUnique() {
    #expect(Set(DeliveryTransition.all.map(\.name)).count == DeliveryTransition.all.count)
  }
}
