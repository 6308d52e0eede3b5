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

  @Test func aDeckLetsATargetHaveHalfItsConcurrencyMoreWithoutRaisingTheTotal() {
    var slots = DispatchSlots(limits: ["relay:main": 16], gates: [:], defaultLimit: 64)
    let relay = slots.number(of: "relay:main")
    #expect(slots.decks[relay] == 8 && slots.lanes[relay].limit == 16)
    for _ in 0..<24 {
      #expect(slots.room(for: relay, globalLimit: 16) == .free)
      slots.take(relay)
    }
    // 16 may run, 8 wait in the lane; the total counts what may run.
    #expect(slots.perTarget[relay] == 24 && slots.total == 16)
    #expect(slots.room(for: relay, globalLimit: 64) == .targetFull)
    // One ends, a waiting one takes its place: the total stays.
    #expect(slots.free(relay) == false)
    #expect(slots.total == 16)
    // The loop is woken when half the deck has gone.
    #expect(slots.wakeLevel(of: relay) == 20)
    for _ in 0..<7 { _ = slots.free(relay) }
    #expect(slots.perTarget[relay] == 16 && slots.total == 16)
    #expect(slots.free(relay) == true)
    #expect(slots.total == 15)
  }

  @Test func withTheGlobalLimitReachedOnlyADeckTakesMore() {
    var slots = DispatchSlots(
      limits: ["endpoint:a": 2, "endpoint:b": 2], gates: [:], defaultLimit: 64)
    let a = slots.number(of: "endpoint:a")
    let b = slots.number(of: "endpoint:b")
    slots.take(a)
    slots.take(a)
    #expect(slots.total == 2)
    // The global limit of 2 is reached: b may not start, a's deck may.
    #expect(slots.room(for: b, globalLimit: 2) == .globalFull)
    #expect(slots.room(for: a, globalLimit: 2) == .free)
    slots.take(a)
    // Full of its own and at the global limit: the global limit is named,
    // so the loop ends its round rather than counting a's as waiting.
    #expect(slots.total == 2 && slots.room(for: a, globalLimit: 2) == .globalFull)
    #expect(slots.room(for: a, globalLimit: 3) == .targetFull)
  }

  @Test func aRateLimitedTargetHasNoDeckAndKeepsTheQuarterWake() {
    var slots = DispatchSlots(
      limits: ["endpoint:sms": 8, "endpoint:one": 1],
      gates: ["endpoint:sms": TargetGate(.init(rate: 5, burst: 1))], defaultLimit: 64)
    let sms = slots.number(of: "endpoint:sms")
    let one = slots.number(of: "endpoint:one")
    #expect(slots.decks[sms] == 0 && slots.wakeLevel(of: sms) == 6)
    // Concurrency 1: one more waits, and the loop wakes when it has started.
    #expect(slots.decks[one] == 1 && slots.wakeLevel(of: one) == 1)
    // A target the configuration does not name: half the default.
    let gone = slots.number(of: "endpoint:gone")
    #expect(slots.decks[gone] == 32 && slots.lanes[gone].limit == 64)
  }

  @Test func flashMayWaitInTheLaneBeyondTheDeckAndBulkMayNot() {
    var slots = DispatchSlots(
      limits: ["endpoint:rx": 2, "endpoint:sms": 2],
      gates: ["endpoint:sms": TargetGate(.init(rate: 5, burst: 1))], defaultLimit: 64)
    let rx = slots.number(of: "endpoint:rx")
    let sms = slots.number(of: "endpoint:sms")
    #expect(slots.flashQueue(of: rx) == 8 && slots.flashQueue(of: sms) == 0)
    // Concurrency 2 and a deck of 1: bulk stops there.
    for _ in 0..<3 { slots.take(rx) }
    #expect(slots.room(for: rx, globalLimit: 64) == .targetFull)
    // Flash goes on, into the lane, for 8 more; the total counts what runs.
    for _ in 0..<8 {
      #expect(slots.room(for: rx, globalLimit: 128, flash: true) == .free)
      slots.take(rx)
    }
    #expect(slots.perTarget[rx] == 11 && slots.total == 2)
    #expect(slots.room(for: rx, globalLimit: 128, flash: true) == .targetFull)
    // A rate-limited target queues no flash: its tokens are taken at handing over.
    for _ in 0..<2 { slots.take(sms) }
    #expect(slots.room(for: sms, globalLimit: 128, flash: true) == .targetFull)
  }
}
