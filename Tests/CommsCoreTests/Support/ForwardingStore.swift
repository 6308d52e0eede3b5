import Foundation

@testable import CommsCore

/// A store that hands every call to `base`: tests subclass it to change
/// one step (hold it, fail it after it ran) and keep the rest real.
class ForwardingStore: Store, @unchecked Sendable {
  // @unchecked: `base` is immutable and Sendable; subclasses keep their own state safe.
  let base: any Store

  init(_ base: any Store) { self.base = base }

  func accept(_ message: Message, fingerprint: String) async throws -> AcceptOutcome {
    try await base.accept(message, fingerprint: fingerprint)
  }
  func lease(owner: String, now: Date, until: Date, limit: Int, excluding: LeaseExclusion)
    async throws -> [Delivery]
  {
    try await base.lease(owner: owner, now: now, until: until, limit: limit, excluding: excluding)
  }
  func record(_ outcomes: [AttemptRecord], owner: String) async throws -> Int {
    try await base.record(outcomes, owner: owner)
  }
  func renewLeases(_ ids: [DeliveryID], owner: String, until: Date, at: Date) async throws
    -> Set<DeliveryID>
  {
    try await base.renewLeases(ids, owner: owner, until: until, at: at)
  }
  func reclaimLeases(now: Date, all: Bool) async throws -> Int {
    try await base.reclaimLeases(now: now, all: all)
  }
  func applyRetention(before cutoff: Date, hash: KeyedHash, at now: Date, period: String)
    async throws -> RetentionOutcome
  {
    try await base.applyRetention(before: cutoff, hash: hash, at: now, period: period)
  }
  func verifyAudit() async throws -> AuditChain.Verdict { try await base.verifyAudit() }
  func read<T: Sendable>(_ body: @escaping @Sendable (StoreReader) throws -> T) async throws -> T {
    try await base.read(body)
  }
  func write<T: Sendable>(
    _ turn: WriteTurn, _ body: @escaping @Sendable (StoreTransaction) throws -> T
  ) async throws -> T {
    try await base.write(turn, body)
  }
  var isShared: Bool { base.isShared }
  func planningTurn<T: Sendable>(_ body: () async throws -> T) async throws -> T? {
    try await base.planningTurn(body)
  }
}
