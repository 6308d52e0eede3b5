import Foundation
import Testing

@testable import CommsCore

/// Issue 16: one feed of CAP alerts cannot pre-empt or act on another's.
/// Keys are kept per principal (API token, the operators), and Updates and
/// Cancels find the caller's own alert first and nothing outside its scope.
@Suite struct CAPPrincipalTests {
  static let sender = "vagtcentral@beredskab.example.dk"

  static func token(_ name: String, _ audiences: Set<String>) -> APIToken {
    APIToken(
      name: name, hash: Array(repeating: 0, count: 32), audiences: audiences, maxPriority: .flash)
  }

  /// The request an alert `identifier` from `principal` to `audiences` makes.
  static func request(
    _ identifier: String, to audiences: [String], by principal: CAPPrincipal,
    key: String? = nil
  ) -> SendRequest {
    let origin: String
    switch principal {
    case .operators: origin = "tester@localhost"
    case .token(let token): origin = "api:\(token.name)@127.0.0.1:40000"
    }
    return SendRequest(
      audiences: audiences, priority: .urgent,
      contents: ["da": MessageContent(subject: "Røg", body: "Gå indenfor.")],
      idempotencyKey: key
        ?? CAPIntake.idempotencyKey(sender: sender, identifier: identifier, principal: principal),
      sender: Sender(kind: .cap, name: sender, origin: origin),
      cap: CAPIdentity(sender: sender, identifier: identifier, sent: "2026-03-12T09:30:00+01:00"))
  }

  @Test func keysAreKeptApartPerPrincipalAndTheOperatorsKeepTheFormerKey() {
    let care = Self.token("care", ["relatives"])
    #expect(
      CAPIntake.idempotencyKey(sender: "a@b", identifier: "X-1", principal: .operators)
        == "cap:a@b,X-1")
    #expect(
      CAPIntake.idempotencyKey(sender: "a@b", identifier: "X-1", principal: .token(care))
        == "cap:a@b,X-1,api:care")
    let long = String(repeating: "x", count: 190)
    #expect(
      CAPIntake.idempotencyKey(sender: "a", identifier: long, principal: .token(care))
        != CAPIntake.idempotencyKey(sender: "a", identifier: long, principal: .operators))
    #expect(CAPIntake.isReservedKey("cap:a@b,X-1,api:care"))
    #expect(CAPIntake.isReservedKey("api:care:k1"))
    #expect(!CAPIntake.isReservedKey("care-2026-11-25-0007"))
  }

  @Test(arguments: StoreKind.allCases)
  func aPlantedLookAlikeNeitherPreemptsNorIsTakenForTheRealAlert(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let care = Self.token("care", ["relatives"])
    let fire = Self.token("fire", ["staff", "police"])
    func accept(_ request: SendRequest) async throws -> MessageID? {
      switch try await fixture.intake().accept(request) {
      case .accepted(let id): id
      case .duplicate: nil
      }
    }
    // The relatives feed takes the fire service's identifier first.
    let planted = try #require(
      try await accept(Self.request("X", to: ["relatives"], by: .token(care))))
    // The real alert is accepted, once; the operators' too.
    let real = try #require(try await accept(Self.request("X", to: ["staff"], by: .token(fire))))
    #expect(real != planted)
    #expect(
      try await fixture.intake().accept(Self.request("X", to: ["staff"], by: .token(fire)))
        == .duplicate(real))
    let operators = try #require(
      try await accept(Self.request("X", to: ["staff", "relatives"], by: .operators)))

    func referenced(by principal: CAPPrincipal) async throws -> MessageID? {
      try await CAPIntake(
        configuration: fixture.configuration, store: fixture.store,
        principal: principal
      ).referenced(sender: Self.sender, identifier: "X")
    }
    // Each finds its own first.
    #expect(try await referenced(by: .token(fire)) == real)
    #expect(try await referenced(by: .token(care)) == planted)
    #expect(try await referenced(by: .operators) == operators)
    // Without one of its own: the first in its scope, never one outside it.
    #expect(try await referenced(by: .token(Self.token("ward", ["staff"]))) == real)
    #expect(try await referenced(by: .token(Self.token("police", ["police"]))) == nil)
    #expect(try await referenced(by: .token(Self.token("council", ["council"]))) == nil)
    #expect(
      try await CAPIntake(
        configuration: fixture.configuration, store: fixture.store,
        principal: .token(Self.token("council", ["council"]))
      ).referenced(sender: Self.sender, identifier: "Y") == nil)
  }

  /// Stored data from before keys were per principal: an alert a token fed
  /// then is its own after the upgrade (the migration gives it the token's
  /// key), so that the feed posting it again gets "duplicate"; one the
  /// operators fed keeps its key, which is still theirs.
  @Test(arguments: StoreKind.allCases)
  func alertsFedBeforeTheUpgradeAreStillDuplicatesOfTheirOwnFeed(_ kind: StoreKind)
    async throws
  {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let care = Self.token("care", ["relatives"])
    let legacy = "cap:\(Self.sender),"
    guard
      case .accepted(let byToken) = try await fixture.intake().accept(
        Self.request("T", to: ["relatives"], by: .token(care), key: legacy + "T")),
      case .accepted(let byOperator) = try await fixture.intake().accept(
        Self.request("O", to: ["staff"], by: .operators, key: legacy + "O"))
    else {
      Issue.record("not accepted")
      return
    }
    // Run the migration again, as on the first start after the upgrade.
    switch kind {
    case .sqlite:
      try await fixture.execute(
        "DELETE FROM grdb_migrations WHERE identifier = ?", ["0009-cap-keys-per-token"])
    case .postgres:
      try await fixture.execute(
        "DELETE FROM commsd_migrations WHERE name = ?", ["0009-cap-keys-per-token"])
    }
    let store = try fixture.reopened()
    let intake = Intake(configuration: fixture.configuration, store: store, clock: fixture.clock)
    #expect(
      try await intake.accept(Self.request("T", to: ["relatives"], by: .token(care)))
        == .duplicate(byToken))
    #expect(
      try await intake.accept(Self.request("O", to: ["staff"], by: .operators))
        == .duplicate(byOperator))
  }
}
