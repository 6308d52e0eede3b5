import Foundation
import Testing

@testable import CommsCore

@Suite struct DigestTests {
  /// 09:00 on a Wednesday in Copenhagen (summer time).
  static let morning = Date(timeIntervalSince1970: 1_781_074_800)  // 2026-06-10T07:00:00Z

  func plan(_ fixture: StoreFixture, subject: String, policy: DosingPolicy) async throws
    -> MessageID
  {
    var request = fixture.request(
      audiences: ["relatives"], subject: subject, body: "Om \(subject).")
    request.priority = .normal
    guard case .accepted(let id) = try await fixture.intake().accept(request) else {
      throw StoreError.corrupt("not accepted")
    }
    let message = try #require(try await fixture.store.message(id))
    var generator = SystemRandomNumberGenerator()
    let plan = Planner(dosing: Dosing()).plan(
      message, directory: fixture.configuration.directory, policies: ["relatives": policy],
      at: fixture.clock.now(), using: &generator)
    try await fixture.store.savePlan(plan, at: fixture.clock.now())
    return id
  }

  /// The council's 16:00 report holds exactly the messages since the last
  /// slot, in bulletin order, each with its number and time.
  @Test(arguments: StoreKind.allCases) func heldMessagesGoOutAsOneReportPerPersonInBulletinOrder(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    fixture.clock.set(Self.morning)
    let policy = DosingPolicy(quietHours: nil, digestSlots: [8 * 60, 16 * 60])
    var ids: [MessageID] = []
    for subject in ["Vandforsyning", "Skoler", "Trafik"] {
      ids.append(try await plan(fixture, subject: subject, policy: policy))
      fixture.clock.advance(by: 3600)
    }
    let first = try #require(try await fixture.store.status(of: ids[0]))
    #expect(first.deliveries.allSatisfy { $0.state == "held" && $0.holdReason == "digest" })
    let slot = Self.morning.addingTimeInterval(7 * 3600)  // 16:00 local
    #expect(first.deliveries.allSatisfy { $0.dueAt == slot })

    let builder = DigestBuilder(store: fixture.store, audiences: fixture.configuration.audiences)
    var generator = SeededGenerator(state: 2)
    #expect(try await builder.buildDue(at: slot.addingTimeInterval(-1), using: &generator) == 0)
    #expect(try await builder.buildDue(at: slot, using: &generator) == 2)  // Bo and Cecilie

    for id in ids {
      let status = try #require(try await fixture.store.status(of: id))
      #expect(status.counts == ["digested": 2])
      #expect(status.deliveries.allSatisfy { $0.digest != nil })
    }
    let digestID = try #require(
      try await fixture.store.status(of: ids[0])?.deliveries.first { $0.recipient == "c" }?.digest)
    let now = slot
    let leased = try await fixture.store.lease(owner: "n", now: now, until: now + 60, limit: 10)
    let digest = try #require(leased.first { $0.id.rawValue == digestID })
    let message = try #require(try await fixture.store.message(digest.messageID))
    let content = message.content(for: "da").content
    #expect(content.subject == "Situationsrapport: 3 meddelelser")
    let body = content.body
    let positions = [
      "#1 · 10.06.2026 kl. 09:00", "#2 · 10.06.2026 kl. 10:00", "#3 · 10.06.2026 kl. 11:00",
    ]
    .map { body.range(of: $0)?.lowerBound }
    #expect(positions.allSatisfy { $0 != nil }, "\(body)")
    #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
    #expect(body.contains("Vandforsyning\n\nOm Vandforsyning."))
    #expect(digest.bulletin == 3)
  }

  /// Two nodes that built the same slot's digest at once (each read the
  /// same held items): the second one's is not written, so each person
  /// gets one report.
  @Test(arguments: StoreKind.allCases)
  func aDigestBuiltTwiceAtOnceIsWrittenOnce(_ kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    fixture.clock.set(Self.morning)
    let policy = DosingPolicy(quietHours: nil, digestSlots: [16 * 60])
    var ids: [MessageID] = []
    for subject in ["Vandforsyning", "Skoler"] {
      ids.append(try await plan(fixture, subject: subject, policy: policy))
      fixture.clock.advance(by: 3600)
    }
    let slot = Self.morning.addingTimeInterval(7 * 3600)
    let other = try fixture.reopened()
    let builders = [fixture.store, other].map {
      DigestBuilder(store: $0, audiences: fixture.configuration.audiences)
    }
    // Both read the items before either writes.
    let items = try await fixture.store.dueDigestItems(now: slot).filter { $0.recipientID == "c" }
    #expect(items.count == 2)
    var messages: [MessageID: Message] = [:]
    for id in ids { messages[id] = try await fixture.store.message(id) }
    var generator = SeededGenerator(state: 9)
    let first = builders[0].compose(items, messages: messages, at: slot, using: &generator)
    let second = builders[1].compose(items, messages: messages, at: slot, using: &generator)
    try await fixture.store.saveDigest(first, at: slot)
    try await other.saveDigest(second, at: slot)
    let status = try #require(try await fixture.store.status(of: ids[0]))
    #expect(status.deliveries.first { $0.recipient == "c" }?.digest == first.delivery.id.rawValue)
    #expect(try await fixture.store.message(second.message.id) == nil)
    #expect(
      try await fixture.store.auditEvents(kinds: ["digest.created"]).map(\.event.deliveryID)
        == [first.delivery.id])
  }

  @Test(arguments: StoreKind.allCases) func aLoneItemGoesOutByItself(_ kind: StoreKind) async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    fixture.clock.set(Self.morning)
    let id = try await plan(
      fixture, subject: "Vand", policy: DosingPolicy(quietHours: nil, digestSlots: [16 * 60]))
    let builder = DigestBuilder(store: fixture.store, audiences: fixture.configuration.audiences)
    var generator = SeededGenerator(state: 3)
    #expect(
      try await builder.buildDue(at: Self.morning.addingTimeInterval(7 * 3600), using: &generator)
        == 0)
    #expect(try await fixture.store.status(of: id)?.counts == ["ready": 2])
  }
}

extension DigestTests {
  /// The council's 16:00 report holds exactly what was held since the 08:00
  /// one: a message from 07:30 went out at 08:00, and is not repeated.
  @Test(arguments: StoreKind.allCases) func theSixteenOClockReportHoldsExactlyTheMessagesSinceEight(
    _ kind: StoreKind
  ) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let policy = DosingPolicy(quietHours: nil, digestSlots: [8 * 60, 16 * 60])
    let eight = Self.morning.addingTimeInterval(-3600)  // 08:00 local
    fixture.clock.set(eight.addingTimeInterval(-1800))  // 07:30
    let early = [
      try await plan(fixture, subject: "Nat", policy: policy),
      try await plan(fixture, subject: "Morgen", policy: policy),
    ]
    let builder = DigestBuilder(store: fixture.store, audiences: fixture.configuration.audiences)
    var generator = SeededGenerator(state: 4)
    #expect(try await builder.buildDue(at: eight, using: &generator) == 2)
    fixture.clock.set(Self.morning)  // 09:00
    let later = [
      try await plan(fixture, subject: "Formiddag", policy: policy),
      try await plan(fixture, subject: "Middag", policy: policy),
    ]
    let sixteen = Self.morning.addingTimeInterval(7 * 3600)
    #expect(try await builder.buildDue(at: sixteen, using: &generator) == 2)
    let digestOf = { (id: MessageID) async throws -> String? in
      try await fixture.store.status(of: id)?.deliveries.first { $0.recipient == "c" }?.digest
    }
    let morningDigest = try await digestOf(early[0])
    let afternoonDigest = try await digestOf(later[0])
    #expect(try await digestOf(early[1]) == morningDigest)
    #expect(try await digestOf(later[1]) == afternoonDigest)
    #expect(morningDigest != nil && afternoonDigest != nil && morningDigest != afternoonDigest)
    let leased = try await fixture.store.lease(
      owner: "n", now: sixteen, until: sixteen + 60, limit: 10)
    let afternoon = try #require(leased.first { $0.id.rawValue == afternoonDigest })
    let body = try #require(try await fixture.store.message(afternoon.messageID)).content(for: "da")
      .content.body
    #expect(body.contains("Formiddag") && body.contains("Middag"))
    #expect(!body.contains("Nat\n") && !body.contains("Morgen"))
  }
}
