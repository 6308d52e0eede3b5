import Foundation
import Testing

@testable import CommsCore

/// The dispatcher's targets, numbered so its loop indexes arrays instead of
/// hashing names (issue 25). The numbers must stay put and an unknown
/// target must get what an unnamed one always got.
@Suite struct DispatchSlotsTests {
  @Test func configuredTargetsKeepTheirLimitsAndGatesAndTheirNumbersStayPut() {
    var slots = DispatchSlots(
      limits: ["endpoint:hook": 4, "relay:main": 16],
      gates: ["endpoint:hook": TargetGate(.init(rate: 10, burst: 1))], defaultLimit: 64)
    let hook = slots.number(of: "endpoint:hook")
    let relay = slots.number(of: "relay:main")
    #expect(hook != relay)
    #expect(slots.limits[hook] == 4 && slots.limits[relay] == 16)
    #expect(slots.gates[hook] != nil && slots.gates[relay] == nil)
    #expect(slots.names[hook] == "endpoint:hook")
    // An endpoint the configuration does not name (removed since its
    // deliveries were planned): a number of its own, the default limit.
    let gone = slots.number(of: "endpoint:gone")
    #expect(![hook, relay].contains(gone))
    #expect(slots.limits[gone] == 64 && slots.gates[gone] == nil && slots.perTarget[gone] == 0)
    #expect(slots.number(of: "endpoint:hook") == hook)
    #expect(slots.number(of: "endpoint:gone") == gone)
    #expect(slots.breakers == ["endpoint:hook": false])
  }

  @Test func aTargetSetHoldsWhatWasInsertedAndNothingBeyond() {
    var set = TargetSet()
    #expect(set.isEmpty && !set.contains(0) && !set.contains(1_000))
    set.insert(3)
    set.insert(0)
    #expect(!set.isEmpty && set.contains(3) && set.contains(0))
    #expect(!set.contains(1) && !set.contains(4) && !set.contains(1_000))
    #expect(set.members == [0, 3])
  }
}
