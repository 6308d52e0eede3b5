import Foundation
import Testing

@testable import CommsCore

/// Local console accounts: scrypt hashes in the PHC format that verify only
/// their password, stored strings read strictly (a store can be edited), and
/// on both stores accounts made, signed in to, locked after five wrong
/// passwords, disabled, each step audited without the hash.
@Suite struct ConsoleAccountTests {
  @Test func aHashVerifiesItsPasswordOnlyAndReadsBackFromItsString() throws {
    let hash = try PasswordHash.make("korrekt hest batteri", parameters: .fast)
    #expect(hash.verifies("korrekt hest batteri"))
    #expect(!hash.verifies("korrekt hest batterI"))
    #expect(hash.encoded.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
    let read = try #require(PasswordHash.parse(hash.encoded))
    #expect(read == hash && read.verifies("korrekt hest batteri"))
    let again = try PasswordHash.make("korrekt hest batteri", parameters: .fast)
    #expect(again.salt != hash.salt, "a fresh salt each time")
    #expect(throws: PasswordHash.Problem.tooShort) {
      try PasswordHash.make("kort", parameters: .fast)
    }
    #expect(throws: PasswordHash.Problem.tooLong) {
      try PasswordHash.make(String(repeating: "x", count: 1025), parameters: .fast)
    }
  }

  @Test func aStoredStringOutOfBoundsIsNoHash() throws {
    let good = try PasswordHash.make("korrekt hest batteri", parameters: .fast).encoded
    for bad in [
      good.replacingOccurrences(of: "ln=10", with: "ln=30"),  // 2^30 rounds: 128 GiB
      good.replacingOccurrences(of: "ln=10", with: "ln=9"),
      good.replacingOccurrences(of: "p=1", with: "p=99"),
      good.replacingOccurrences(of: "r=8", with: "r=8,r=8"),
      good.replacingOccurrences(of: "$scrypt$", with: "$argon2id$"),
      good + "$", "", "$scrypt$ln=10,r=8,p=1$$", String(repeating: "$", count: 300),
    ] {
      #expect(PasswordHash.parse(bad) == nil, "\(bad)")
    }
  }

  /// Seeded fuzz of the stored-hash reader: never a trap, and whatever it
  /// accepts stays within the bounds that cap the memory a check spends.
  @Test func fuzzedStoredHashesNeverTrap() throws {
    let seed = try PasswordHash.make("korrekt hest batteri", parameters: .fast).encoded
    var generator = SeededGenerator(state: 0x5c12_7a01)
    let alphabet = Array("$=,0123456789lnrpscryptABCxyz+/")
    for _ in 0..<5_000 {
      var bytes = Array(seed)
      for _ in 0..<Int.random(in: 1...4, using: &generator) {
        let index = Int.random(in: 0..<bytes.count, using: &generator)
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: bytes[index] = alphabet.randomElement(using: &generator)!
        case 1: bytes.remove(at: index)
        default: bytes.insert(alphabet.randomElement(using: &generator)!, at: index)
        }
        if bytes.isEmpty { break }
      }
      if let parsed = PasswordHash.parse(String(bytes)) {
        #expect((10...20).contains(parsed.parameters.logRounds))
        #expect((1...16).contains(parsed.parameters.blockSize))
        #expect((1...4).contains(parsed.parameters.parallelism))
      }
    }
  }

  @Test(arguments: StoreKind.allCases)
  func signInLocksAfterFiveWrongPasswordsAndADisabledAccountIsRefused(kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let store = fixture.store
    let now = fixture.clock.now()
    let hash = try PasswordHash.make("korrekt hest batteri", parameters: .fast)
    try await store.addConsoleAccount(
      "anna", displayName: "Anna Berg", hash: hash, by: "cli:root@host", at: now)
    await #expect(throws: StoreError.self) {
      try await store.addConsoleAccount(
        "anna", displayName: "Anden Anna", hash: hash, by: "cli:root@host", at: now)
    }
    func attempt(_ name: String, _ password: String, at offset: TimeInterval = 0) async throws
      -> SignIn.Outcome
    {
      try await SignIn.attempt(
        name, password: password, store: store, at: now + offset, origin: "127.0.0.1")
    }
    #expect(
      try await attempt("anna", "korrekt hest batteri")
        == .signedIn(name: "anna", displayName: "Anna Berg"))
    #expect(
      try await attempt("bo", "korrekt hest batteri")
        == .refused(reason: .unknown, lockedUntil: nil))
    for _ in 1..<SignIn.lockAfter {
      #expect(
        try await attempt("anna", "forkert kodeord!")
          == .refused(reason: .wrongPassword, lockedUntil: nil))
    }
    let locked = now + 1 + SignIn.lockFor
    #expect(
      try await attempt("anna", "forkert kodeord!", at: 1)
        == .refused(reason: .wrongPassword, lockedUntil: locked))
    // Locked: even the right password is refused until then.
    #expect(
      try await attempt("anna", "korrekt hest batteri", at: 60)
        == .refused(reason: .locked, lockedUntil: locked))
    #expect(
      try await attempt("anna", "korrekt hest batteri", at: 2 + SignIn.lockFor)
        == .signedIn(name: "anna", displayName: "Anna Berg"))

    try await store.disableConsoleAccount("anna", by: "cli:root@host", at: now + 3000)
    #expect(
      try await attempt("anna", "korrekt hest batteri", at: 3001)
        == .refused(reason: .disabled, lockedUntil: nil))
    let fresh = try PasswordHash.make("nyt kodeord til anna", parameters: .fast)
    try await store.setConsolePassword(
      "anna", hash: fresh, enable: true, by: "cli:root@host", at: now + 3100)
    #expect(
      try await attempt("anna", "nyt kodeord til anna", at: 3101)
        == .signedIn(name: "anna", displayName: "Anna Berg"))
    let accounts = try await store.consoleAccounts()
    #expect(accounts.map(\.name) == ["anna"] && accounts.first?.disabledAt == nil)

    let kinds = try await fixture.strings(
      "SELECT kind FROM audit_events WHERE kind LIKE 'account.%' ORDER BY seq")
    #expect(kinds.first == "account.created")
    // 1 unknown, 5 wrong, 1 locked, 1 disabled.
    #expect(kinds.filter { $0 == "account.sign_in_refused" }.count == 8)
    #expect(kinds.contains("account.disabled") && kinds.contains("account.password_changed"))
    let details = try await fixture.strings("SELECT detail FROM audit_events")
    #expect(!details.contains { $0.contains("$scrypt$") || $0.contains("korrekt") })
  }
}
