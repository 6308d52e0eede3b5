import Foundation
import Testing

@testable import CommsCore

/// The console's sessions in the store, on both stores: kept under the
/// SHA-256 of the cookie's token, found with every field, ended by the
/// idle limit, by `expires_at`, by signing out (audited), and when the
/// local account is disabled or its password changed; and the token
/// helpers of `ConsoleSession`.
@Suite struct ConsoleSessionStoreTests {
  static let idle = Duration.seconds(30 * 60)

  static func session(
    _ person: String = "anna", via: ConsoleSession.Via = .local, groups: [String] = [],
    at start: Date, lasting: TimeInterval = 8 * 3600
  ) -> ConsoleSession {
    ConsoleSession(
      person: person, displayName: "\(person.capitalized) Berg", via: via, idpGroups: groups,
      csrf: ConsoleSession.randomToken(), origin: "192.0.2.7", createdAt: start, seenAt: start,
      expiresAt: start + lasting)
  }

  /// Starts `session` under a fresh token; returns the token's hash.
  static func start(_ session: ConsoleSession, in store: any Store) async throws -> String {
    let hash = ConsoleSession.tokenHash(ConsoleSession.randomToken())
    try await store.startConsoleSession(session, tokenHash: hash, idle: idle)
    return hash
  }

  static func rows(_ fixture: StoreFixture, _ hash: String) async throws -> Int {
    try await fixture.integers(
      "SELECT COUNT(*) FROM console_sessions WHERE token_hash = '\(hash)'"
    ).first ?? -1
  }

  static func seenAt(_ fixture: StoreFixture, _ hash: String) async throws -> [String] {
    try await fixture.strings("SELECT seen_at FROM console_sessions WHERE token_hash = '\(hash)'")
  }

  /// The audit events of `kind`: actor and detail.
  static func audits(_ fixture: StoreFixture, _ kind: String) async throws
    -> [(actor: String, detail: [String: String])]
  {
    let actors = try await fixture.strings(
      "SELECT actor FROM audit_events WHERE kind = '\(kind)' ORDER BY seq")
    let details = try await fixture.strings(
      "SELECT detail FROM audit_events WHERE kind = '\(kind)' ORDER BY seq")
    return try zip(actors, details).map { actor, detail in
      let object = try JSONSerialization.jsonObject(with: Data(detail.utf8))
      return (actor, try #require(object as? [String: String], "\(detail)"))
    }
  }

  @Test(arguments: StoreKind.allCases)
  func aStartedSessionIsFoundWithEveryField(kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let now = fixture.clock.now()
    let local = Self.session(at: now)
    let oidc = Self.session(
      "mette@kommune.example", via: .oidc,
      groups: ["/kommune/krisestab", "7f3c2a90-1d2e-4b8f-9a61-0c5e3f7d2b11", "æøå"], at: now)
    let lone = Self.session("ib", via: .oidc, groups: ["/kommune/it"], at: now)
    let localHash = try await Self.start(local, in: fixture.store)
    let oidcHash = try await Self.start(oidc, in: fixture.store)
    let loneHash = try await Self.start(lone, in: fixture.store)

    let foundLocal = try await fixture.store.consoleSession(
      tokenHash: localHash, at: now + 10, idle: Self.idle)
    #expect(foundLocal == local)
    #expect(foundLocal?.idpGroups == [], "no groups reads back as none, not [\"\"]")
    #expect(foundLocal?.displayName == "Anna Berg" && foundLocal?.origin == "192.0.2.7")
    let foundOIDC = try await fixture.store.consoleSession(
      tokenHash: oidcHash, at: now + 10, idle: Self.idle)
    #expect(foundOIDC == oidc)
    #expect(foundOIDC?.via == .oidc)
    #expect(
      foundOIDC?.idpGroups == ["/kommune/krisestab", "7f3c2a90-1d2e-4b8f-9a61-0c5e3f7d2b11", "æøå"])
    let foundLone = try await fixture.store.consoleSession(
      tokenHash: loneHash, at: now + 10, idle: Self.idle)
    #expect(foundLone?.idpGroups == ["/kommune/it"] && foundLone?.csrf == lone.csrf)

    // Only the hash finds it: not the token, not another hash.
    let other = ConsoleSession.tokenHash(ConsoleSession.randomToken())
    #expect(
      try await fixture.store.consoleSession(tokenHash: other, at: now + 10, idle: Self.idle)
        == nil)
    let stored = try await fixture.strings("SELECT token_hash FROM console_sessions")
    #expect(Set(stored) == [localHash, oidcHash, loneHash])
  }

  @Test(arguments: StoreKind.allCases)
  func anIdleSessionEndsAndUseKeepsItAlive(kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let now = fixture.clock.now()
    let idle = Self.idle.seconds
    let used = try await Self.start(Self.session(at: now), in: fixture.store)
    let unused = try await Self.start(Self.session("bo", at: now), in: fixture.store)

    // Used just before the limit: found, and its last use moves on.
    let first = try await fixture.store.consoleSession(
      tokenHash: used, at: now + idle - 1, idle: Self.idle)
    #expect(first?.seenAt == now + idle - 1)
    let second = try await fixture.store.consoleSession(
      tokenHash: used, at: now + 2 * idle - 2, idle: Self.idle)
    #expect(second != nil, "counted from the last use, not from the start")

    // Unused for exactly the limit: gone, and its row deleted.
    #expect(try await Self.rows(fixture, unused) == 1)
    #expect(
      try await fixture.store.consoleSession(tokenHash: unused, at: now + idle, idle: Self.idle)
        == nil)
    #expect(try await Self.rows(fixture, unused) == 0)

    let last = now + 2 * idle - 2
    #expect(
      try await fixture.store.consoleSession(tokenHash: used, at: last + idle, idle: Self.idle)
        == nil)
    #expect(try await Self.rows(fixture, used) == 0)
  }

  @Test(arguments: StoreKind.allCases)
  func theLastUseIsWrittenAtMostOnceAMinute(kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let now = fixture.clock.now()
    let hash = try await Self.start(Self.session(at: now), in: fixture.store)
    #expect(try await Self.seenAt(fixture, hash) == [Timestamp.format(now)])

    let early = try await fixture.store.consoleSession(
      tokenHash: hash, at: now + 59, idle: Self.idle)
    #expect(early?.seenAt == now)
    #expect(try await Self.seenAt(fixture, hash) == [Timestamp.format(now)])

    let minute = try await fixture.store.consoleSession(
      tokenHash: hash, at: now + 60, idle: Self.idle)
    #expect(minute?.seenAt == now + 60)
    #expect(try await Self.seenAt(fixture, hash) == [Timestamp.format(now + 60)])

    let soon = try await fixture.store.consoleSession(
      tokenHash: hash, at: now + 119, idle: Self.idle)
    #expect(soon?.seenAt == now + 60)
    #expect(try await Self.seenAt(fixture, hash) == [Timestamp.format(now + 60)])

    _ = try await fixture.store.consoleSession(tokenHash: hash, at: now + 500, idle: Self.idle)
    #expect(try await Self.seenAt(fixture, hash) == [Timestamp.format(now + 500)])
  }

  @Test(arguments: StoreKind.allCases)
  func aSessionEndsAtItsExpiryHoweverBusy(kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let now = fixture.clock.now()
    let hash = try await Self.start(Self.session(at: now, lasting: 3600), in: fixture.store)
    for minutes in stride(from: 10, to: 60, by: 10) {
      #expect(
        try await fixture.store.consoleSession(
          tokenHash: hash, at: now + TimeInterval(minutes * 60), idle: Self.idle) != nil)
    }
    #expect(
      try await fixture.store.consoleSession(tokenHash: hash, at: now + 3599, idle: Self.idle)
        != nil)
    #expect(
      try await fixture.store.consoleSession(tokenHash: hash, at: now + 3600, idle: Self.idle)
        == nil)
    #expect(try await Self.rows(fixture, hash) == 0)
  }

  @Test(arguments: StoreKind.allCases)
  func startingASessionSweepsThoseAlreadyOver(kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let now = fixture.clock.now()
    let expired = try await Self.start(Self.session(at: now, lasting: 60), in: fixture.store)
    let idle = try await Self.start(Self.session("bo", at: now), in: fixture.store)
    let later = now + Self.idle.seconds + 5
    let busy = try await Self.start(
      Self.session("ib", at: now, lasting: 10 * 3600), in: fixture.store)
    _ = try await fixture.store.consoleSession(tokenHash: busy, at: now + 600, idle: Self.idle)
    let fresh = try await Self.start(Self.session("cecilie", at: later), in: fixture.store)
    let left = try await fixture.strings("SELECT token_hash FROM console_sessions")
    #expect(Set(left) == [busy, fresh], "expired \(expired), idle \(idle) swept")
  }

  @Test(arguments: StoreKind.allCases)
  func signingOutEndsTheSessionAndIsAuditedOnce(kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let now = fixture.clock.now()
    let session = Self.session(at: now)
    let hash = try await Self.start(session, in: fixture.store)
    let other = try await Self.start(Self.session("bo", at: now), in: fixture.store)
    let actor = session.sender(from: "198.51.100.4")
    #expect(actor.description == "console:anna@198.51.100.4")

    try await fixture.store.endConsoleSession(tokenHash: hash, actor: actor, at: now + 30)
    #expect(
      try await fixture.store.consoleSession(tokenHash: hash, at: now + 31, idle: Self.idle) == nil)
    #expect(try await Self.rows(fixture, hash) == 0)
    #expect(try await Self.rows(fixture, other) == 1, "only that session")
    let events = try await Self.audits(fixture, "account.signed_out")
    #expect(events.count == 1)
    #expect(events.first?.actor == "console:anna@198.51.100.4")
    #expect(events.first?.detail["account"] == "anna")
    let at = try await fixture.strings(
      "SELECT at FROM audit_events WHERE kind = 'account.signed_out'")
    #expect(at == [Timestamp.format(now + 30)])

    // A second sign-out (another tab, a replayed form) writes nothing.
    try await fixture.store.endConsoleSession(tokenHash: hash, actor: actor, at: now + 40)
    let unknown = ConsoleSession.tokenHash("no such token")
    try await fixture.store.endConsoleSession(tokenHash: unknown, actor: actor, at: now + 50)
    #expect(try await Self.audits(fixture, "account.signed_out").count == 1)
  }

  @Test(arguments: StoreKind.allCases)
  func disablingOrANewPasswordEndsThatLocalAccountsSessions(kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let store = fixture.store
    let now = fixture.clock.now()
    let hash = try PasswordHash.make("korrekt hest batteri", parameters: .fast)
    for name in ["anna", "bo"] {
      try await store.addConsoleAccount(
        name, displayName: name.capitalized, hash: hash, by: "cli:root@host", at: now)
    }
    let annaHere = try await Self.start(Self.session(at: now), in: store)
    let annaThere = try await Self.start(Self.session(at: now), in: store)
    // Someone from the identity provider who happens to be called anna too.
    let annaOIDC = try await Self.start(
      Self.session("anna", via: .oidc, groups: ["/kommune/krisestab"], at: now), in: store)
    let bo = try await Self.start(Self.session("bo", at: now), in: store)

    try await store.disableConsoleAccount("anna", by: "cli:root@host", at: now + 100)
    for ended in [annaHere, annaThere] {
      #expect(try await Self.rows(fixture, ended) == 0)
      #expect(
        try await store.consoleSession(tokenHash: ended, at: now + 101, idle: Self.idle) == nil)
    }
    #expect(
      try await store.consoleSession(tokenHash: annaOIDC, at: now + 101, idle: Self.idle) != nil)
    #expect(try await store.consoleSession(tokenHash: bo, at: now + 101, idle: Self.idle) != nil)
    let disabled = try await Self.audits(fixture, "account.disabled")
    #expect(disabled.count == 1)
    #expect(disabled.first?.detail["account"] == "anna")
    #expect(disabled.first?.detail["sessions_ended"] == "2")
    #expect(disabled.first?.actor == "cli:root@host")

    // Enabled again with a new password: the session begun since ends too.
    let again = try await Self.start(Self.session(at: now + 200), in: store)
    let fresh = try PasswordHash.make("nyt kodeord til anna", parameters: .fast)
    try await store.setConsolePassword(
      "anna", hash: fresh, enable: true, by: "cli:root@host", at: now + 300)
    #expect(try await Self.rows(fixture, again) == 0)
    #expect(try await Self.rows(fixture, annaOIDC) == 1)
    #expect(try await Self.rows(fixture, bo) == 1)
    // Bo's new password ends his one session; the next change finds none to end.
    try await store.setConsolePassword("bo", hash: fresh, by: "cli:root@host", at: now + 400)
    #expect(try await Self.rows(fixture, bo) == 0)
    #expect(try await Self.rows(fixture, annaOIDC) == 1)
    try await store.setConsolePassword("bo", hash: hash, by: "cli:root@host", at: now + 500)

    let changed = try await Self.audits(fixture, "account.password_changed")
    #expect(changed.map { $0.detail["account"] } == ["anna", "bo", "bo"])
    #expect(changed.map { $0.detail["sessions_ended"] } == ["1", "1", "0"])
    #expect(changed.map { $0.detail["enabled"] } == ["true", "false", "false"])
  }

  @Test func tokensAreRandomURLSafeAndKeptOnlyAsTheirHash() {
    let token = ConsoleSession.randomToken()
    let other = ConsoleSession.randomToken()
    #expect(token.utf8.count == 43 && other.utf8.count == 43)
    #expect(ConsoleSession.isToken(token[...]) && ConsoleSession.isToken(other[...]))
    #expect(token != other)

    let hash = ConsoleSession.tokenHash(token)
    #expect(hash.utf8.count == 64)
    #expect(hash.allSatisfy { "0123456789abcdef".contains($0) })
    #expect(hash == ConsoleSession.tokenHash(token), "the same token, the same hash")
    #expect(hash != ConsoleSession.tokenHash(other))
    #expect(
      ConsoleSession.tokenHash("abc")
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(ConsoleSession.base64url([0xFB, 0xFF, 0xBF]) == "-_-_")
    #expect(ConsoleSession.base64url([0xFF]) == "_w", "no padding")
  }

  @Test func onlyFortyThreeBase64URLCharactersAreAToken() {
    let good = String(repeating: "aZ09-_", count: 7) + "x"
    #expect(good.utf8.count == 43 && ConsoleSession.isToken(good[...]))
    for bad in [
      String(good.dropLast()), good + "x", "", String(repeating: "+", count: 43),
      String(repeating: "/", count: 43), String(good.dropLast()) + "=",
      String(good.dropLast()) + " ", String(good.dropLast(2)) + "æ",
      String(good.dropLast()) + "\u{0}",
    ] {
      #expect(!ConsoleSession.isToken(bad[...]), "\(bad)")
    }
  }

  @Test func sameTokenComparesWholeTokens() {
    let token = ConsoleSession.randomToken()
    #expect(ConsoleSession.sameToken(token, String(token)))
    #expect(!ConsoleSession.sameToken(token, ConsoleSession.randomToken()))
    #expect(!ConsoleSession.sameToken(token, String(token.dropLast())))
    #expect(!ConsoleSession.sameToken(token, token + "A"))
    #expect(!ConsoleSession.sameToken("", token))
    #expect(ConsoleSession.sameToken("", ""))
    let flipped = String(token.dropLast()) + (token.last == "A" ? "B" : "A")
    #expect(!ConsoleSession.sameToken(token, flipped))
  }
}
