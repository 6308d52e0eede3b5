import Foundation
import Testing

@testable import CommsCore

/// Lease owners are unique per run, and an earlier run's leases are taken
/// back at start only when its process has provably ended.
@Suite struct LeaseOwnerTests {
  let me = LeaseOwner(
    host: "node1", pid: 1, boot: "0f3a9c", pidNamespace: "4026532001", run: "aa11")

  func earlier(
    host: String = "node1", pid: Int32 = 812, boot: String = "0f3a9c",
    namespace: String = "4026532001"
  ) -> LeaseOwner {
    LeaseOwner(host: host, pid: pid, boot: boot, pidNamespace: namespace, run: "bb22")
  }

  @Test func theOwnerNamesHostPidBootNamespaceAndRunAndReadsBack() {
    var random = SystemRandomNumberGenerator()
    let current = LeaseOwner.current(using: &random)
    let text = current.description
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    #expect(parts.count == 5)
    #expect(parts[1] == "\(getpid())")
    #expect(parts[2].count == 32, "the boot id, without dashes: \(text)")
    #expect(parts[3].allSatisfy(\.isNumber) && !parts[3].isEmpty, "\(text)")
    #expect(parts[4].count == 16)
    #expect(LeaseOwner(parsing: text) == current)
    // Two runs of the same process image differ.
    #expect(LeaseOwner.current(using: &random) != current)
    // The old form (HOST:PID) and anything else is not an owner it can judge.
    #expect(LeaseOwner(parsing: "node1:1") == nil)
    #expect(LeaseOwner(parsing: "dead-node") == nil)
    #expect(LeaseOwner(parsing: "node1:x:b:n:r") == nil)
  }

  @Test func anEarlierRunInTheSameBootAndPidNamespaceWhosePidIsGoneHasEnded() {
    #expect(me.hasEnded(earlier(), isAlive: { _ in false }))
    // Its pid is alive: maybe it, maybe a process that took the pid; wait.
    #expect(!me.hasEnded(earlier(), isAlive: { _ in true }))
    // The same pid as this process in the same namespace: that run is over.
    #expect(me.hasEnded(earlier(pid: 1), isAlive: { _ in true }))
    #expect(!me.hasEnded(me, isAlive: { _ in false }))
  }

  @Test func anotherContainerACloneOrAnotherHostIsNeverTakenFrom() {
    // Another container on this kernel with the same host name, also pid 1.
    #expect(!me.hasEnded(earlier(pid: 1, namespace: "4026532999"), isAlive: { _ in false }))
    // A clone with the same host name (or this host before a reboot): unknown.
    #expect(!me.hasEnded(earlier(pid: 1, boot: "77e0d1"), isAlive: { _ in false }))
    #expect(!me.hasEnded(earlier(host: "node2"), isAlive: { _ in false }))
    // Without its own boot id or namespace, this node can prove nothing.
    var blind = me
    blind.pidNamespace = "-"
    #expect(!blind.hasEnded(earlier(namespace: "-"), isAlive: { _ in false }))
  }

  /// On a real PostgreSQL: only the ended earlier run's lease goes back at
  /// start; the others wait for their leases to run out.
  @Test func atStartOnlyTheLeasesOfEndedRunsOnThisHostGoBack() async throws {
    let fixture = try StoreFixture(.postgres)
    defer { fixture.cleanUp() }
    let store = try #require(fixture.store as? PostgresStore)
    var random = SystemRandomNumberGenerator()
    let me = LeaseOwner.current(using: &random)
    var ended = me
    (ended.pid, ended.run) = (me.pid &+ 100_000, "ended")
    var container = ended
    container.pidNamespace = "1"
    var clone = ended
    clone.boot = "0123"
    var live = me
    live.run = "live"
    live.pid = getppid()
    let owners = [
      ended.description, container.description, clone.description, live.description,
      "\(me.host):\(me.pid &+ 100_000)",
    ]
    for (index, owner) in owners.enumerated() {
      _ = try await fixture.acceptAndPlan(
        fixture.request(audiences: ["staff"], body: "tekst \(index)"))
      let now = fixture.clock.now()
      #expect(
        try await store.lease(owner: owner, now: now, until: now + 300, limit: 10).count == 2)
    }
    let returned = try await store.reclaimLeases(
      ofEndedRunsOf: me, now: fixture.clock.now(), isAlive: { $0 != me.pid &+ 100_000 })
    #expect(returned == 2)
    let again = try await store.lease(
      owner: me.description, now: fixture.clock.now(), until: fixture.clock.now() + 300,
      limit: 10)
    #expect(again.count == 2)
  }
}
