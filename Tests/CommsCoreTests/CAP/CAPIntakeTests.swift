import Foundation
import Testing

@testable import CommsCore

/// CAP in: what commsd makes of the standard's examples and the Danish
/// exercise, and what it refuses.
@Suite struct CAPIntakeTests {
  struct Expected: Sendable, CustomStringConvertible {
    var name: String
    var priority: Priority
    var kind: MessageKind
    var mode: MessageMode
    var languages: Set<String>
    var audiences: [String]
    var expires: String?
    var key: String
    var description: String { name }
  }

  static let expectations: [Expected] = [
    Expected(
      name: "homeland-security", priority: .flash, kind: .alert, mode: .actual,
      languages: ["da", "en"], audiences: ["police"], expires: nil,
      key: "cap:hsas@dhs.gov,43b080713727"),
    Expected(
      name: "severe-thunderstorm", priority: .flash, kind: .alert, mode: .actual,
      languages: ["da", "en"], audiences: ["staff"], expires: "2003-06-17T23:00:00",
      key: "cap:KSTO@NWS.NOAA.GOV,KSTO1055887203"),
    Expected(
      name: "earthquake-update", priority: .normal, kind: .update, mode: .actual,
      languages: ["da", "en"], audiences: ["staff"], expires: nil,
      key: "cap:trinet@caltech.edu,TRI13970876.2"),
    Expected(
      name: "amber-alert", priority: .flash, kind: .alert, mode: .actual,
      languages: ["da", "en"], audiences: ["staff"], expires: nil,
      key: "cap:KARO@CLETS.DOJ.CA.GOV,KAR0-0306112239-SW"),
    Expected(
      name: "danish-exercise", priority: .flash, kind: .alert, mode: .exercise,
      languages: ["da", "en"], audiences: ["staff", "relatives"], expires: "2025-03-12T12:30:00",
      key: "cap:vagtcentral@beredskab.example.dk,DK-HBR-2025-0042"),
  ]

  @Test(arguments: expectations)
  func fixturesComeInAsTheyShould(_ expected: Expected) async throws {
    let fixture = try CAPStoreFixture()
    defer { fixture.cleanUp() }
    let alert = try CAPFixtures.alert(expected.name)
    // The examples from 2003 have expired: made into a request directly.
    let request = try CAPIntake.request(
      for: alert, configuration: fixture.configuration, supersedes: nil,
      sender: Sender(kind: .cap, name: alert.sender, origin: "test.xml"))
    #expect(request.priority == expected.priority)
    #expect(request.kind == expected.kind)
    #expect(request.mode == expected.mode)
    #expect(Set(request.contents.keys) == expected.languages)
    #expect(request.audiences == expected.audiences)
    #expect(request.expiresAt == expected.expires.flatMap(CAPFixtures.utc))
    #expect(request.idempotencyKey == expected.key)
    #expect(
      request.cap
        == CAPIdentity(sender: alert.sender, identifier: alert.identifier, sent: alert.sentText))
    #expect(request.sender == Sender(kind: .cap, name: alert.sender, origin: "test.xml"))
    for (language, content) in request.contents {
      #expect(!content.subject.isEmpty, "\(language)")
      #expect(!content.body.isEmpty, "\(language)")
    }
    // What intake checks passes (expiry apart: the examples are from 2003).
    var current = request
    current.expiresAt = nil
    try fixture.intake().validate(current)
  }

  @Test func danishExerciseKeepsEachLanguageAndEveryPartOfTheText() async throws {
    let fixture = try CAPStoreFixture()
    defer { fixture.cleanUp() }
    let request = try await fixture.request(try CAPFixtures.alert("danish-exercise"))
    let danish = try #require(request.contents["da"])
    #expect(danish.subject == "ØVELSE: Gå indenfor – røg fra brand på Amager")
    #expect(
      danish.body == """
        Der er brand i et kemikalielager på Prøvestenen. Røgen driver mod nordøst & kan irritere øjne og luftveje.

        Gå indenfor, luk vinduer & døre, og sluk for ventilationen.

        Mere information: https://beredskab.example.dk/oevelse?id=42&lang=da
        Kontakt: Vagtcentralen, tlf. 70 10 20 30
        """)
    let english = try #require(request.contents["en"])
    #expect(english.subject == "EXERCISE: Stay indoors – smoke from a fire on Amager")
    #expect(
      english.body.hasSuffix("Go indoors, close windows and doors, and turn off ventilation."))
  }

  /// CAP `effective` is the release time: the exercise is effective at
  /// 09:30+01:00, half an hour after the fixture's clock (08:00 UTC), so it
  /// is held until then; with `effective` already past, it goes at once.
  @Test func effectiveSchedulesTheRelease() async throws {
    let fixture = try CAPStoreFixture()
    defer { fixture.cleanUp() }
    let effective = try #require(CAPFixtures.utc("2025-03-12T08:30:00"))
    let request = try await fixture.request(try CAPFixtures.alert("danish-exercise"))
    #expect(request.notBefore == effective)
    let (message, _) = try fixture.intake().makeMessage(request)
    #expect(message.notBefore == effective && message.isScheduled)
    fixture.clock.set(effective + 60)
    #expect(try fixture.intake().makeMessage(request).0.notBefore == nil)
  }

  @Test func anInfoWithoutTheDefaultLanguageStandsInForIt() async throws {
    let fixture = try CAPStoreFixture()
    defer { fixture.cleanUp() }
    let alert = try CAPFixtures.alert("severe-thunderstorm")
    let request = try CAPIntake.request(
      for: alert, configuration: fixture.configuration, supersedes: nil,
      sender: Sender(kind: .cap, name: alert.sender, origin: "test.xml"))
    #expect(request.contents["da"] == request.contents["en"])
    let content = try #require(request.contents["en"])
    #expect(content.subject == "SEVERE THUNDERSTORM WARNING")
    #expect(content.body.hasPrefix("AT 254 PM PDT"))
    #expect(content.body.contains("\n\nTAKE COVER IN A SUBSTANTIAL SHELTER"))
    #expect(content.body.hasSuffix("\n\nContact: BARUFFALDI/JUSKIE"))
  }

  @Test func languagesMapToTheirPrimarySubtagUnlessTheDefaultIsWrittenOtherwise() {
    #expect(CAPIntake.languageKey("da-DK", defaultLanguage: "da") == "da")
    #expect(CAPIntake.languageKey("en-US", defaultLanguage: "da") == "en")
    #expect(CAPIntake.languageKey("EN-GB", defaultLanguage: "da") == "en")
    #expect(CAPIntake.languageKey("da-DK", defaultLanguage: "da-DK") == "da-DK")
    #expect(CAPIntake.languageKey("da", defaultLanguage: "da-DK") == "da-DK")
    #expect(CAPIntake.languageKey("en-US", defaultLanguage: "da-DK") == "en")
  }

  @Test func infosInOneLanguageMakeOneContentAndSubjectsFitOnOneLine() throws {
    let long = String(repeating: "Røg ", count: 80)
    let infos = [
      CAPInfo(
        language: "da-DK", categories: [.fire], event: "Brand", urgency: .immediate,
        severity: .severe, certainty: .observed, headline: "Brand\nnord", description: "Nord."),
      CAPInfo(
        language: "da", categories: [.fire], event: "Brand", urgency: .immediate,
        severity: .severe, certainty: .observed, headline: "Brand syd", instruction: "Syd."),
      CAPInfo(
        language: "en", categories: [.fire], event: "Fire", urgency: .immediate,
        severity: .severe, certainty: .observed, headline: long),
    ]
    let contents = CAPIntake.contents(of: infos, defaultLanguage: "da")
    #expect(
      contents["da"] == MessageContent(subject: "Brand nord", body: "Nord.\n\nBrand syd\nSyd."))
    let english = try #require(contents["en"])
    #expect(english.subject.count == Intake.maxSubjectLength)
    #expect(english.subject.hasSuffix("…"))
    // Nothing but a headline: the body is the subject rather than empty.
    #expect(english.body == english.subject)
  }

  @Test func draftAckAndErrorAreRefusedNamingTheElement() async throws {
    let fixture = try CAPStoreFixture()
    defer { fixture.cleanUp() }
    let reference = "<references>ops@example.dk,X-0,2025-01-02T03:04:05+01:00</references>"
    let cases: [(Data, String)] = [
      (CAPFixtures.minimal(("<status>Actual", "<status>Draft")), "alert/status"),
      (
        CAPFixtures.minimal(("<msgType>Alert</msgType>", "<msgType>Ack</msgType>\(reference)")),
        "alert/msgType"
      ),
      (
        CAPFixtures.minimal(("<msgType>Alert</msgType>", "<msgType>Error</msgType>\(reference)")),
        "alert/msgType"
      ),
    ]
    for (data, path) in cases {
      let alert = try CAPReader.parse(data)
      do {
        _ = try await fixture.action(alert)
        Issue.record("\(path): accepted")
      } catch let error as CAPError {
        #expect(error.path == path, "\(error)")
      }
    }
    let draft = try CAPReader.parse(CAPFixtures.minimal(("<status>Actual", "<status>Draft")))
    #expect(throws: CAPError.self) {
      try CAPIntake.request(
        for: draft, configuration: fixture.configuration, supersedes: nil,
        sender: Sender(kind: .cap, name: "x", origin: "y"))
    }
  }

  @Test func anExpiredAlertIsRefusedNamingTheInfo() async throws {
    let fixture = try CAPStoreFixture()
    defer { fixture.cleanUp() }
    var alert = try CAPFixtures.alert("danish-exercise")
    alert.infos[1].expires = fixture.clock.now()
    do {
      _ = try await fixture.action(alert)
      Issue.record("an expired alert was accepted")
    } catch let error as CAPError {
      #expect(
        error.description
          == "alert/info[2]/expires: 2025-03-12T08:00:00+00:00 has passed: the alert no longer applies, so it is not sent"
      )
    }
    // The standard's Update (no expiry) references nothing this store knows.
    #expect(
      try await fixture.request(try CAPFixtures.alert("earthquake-update")).supersedes == nil)
  }

  @Test func anAlertNoMappingReachesIsRefusedWithoutADefault() async throws {
    let fixture = try CAPStoreFixture(cap: "[cap.audiences]\nFire = [\"staff\"]")
    defer { fixture.cleanUp() }
    do {
      _ = try await fixture.action(try CAPFixtures.alert("amber-alert"))
      Issue.record("accepted an alert no audience is mapped for")
    } catch let error as CAPError {
      #expect(error.path == "alert/info[1]/audience")
      #expect(error.message.contains("categories Rescue"), "\(error)")
    }
    // Fire maps, so the exercise (Fire, Safety) goes to staff.
    let request = try await fixture.request(try CAPFixtures.alert("danish-exercise"))
    #expect(request.audiences == ["staff"])
  }

  @Test func theSameAlertFedTwiceIsQueuedOnce() async throws {
    let fixture = try CAPStoreFixture()
    defer { fixture.cleanUp() }
    let alert = try CAPFixtures.alert("danish-exercise")
    let first = try await fixture.accept(alert)
    guard case .accepted(let id) = first else { throw StoreError.corrupt("\(first)") }
    #expect(try await fixture.accept(alert) == .duplicate(id))
    let stored = try #require(try await fixture.store.message(id))
    #expect(stored.cap?.identifier == "DK-HBR-2025-0042")
    #expect(stored.mode == .exercise)
    #expect(stored.sender.kind == .cap)
    #expect(
      try await fixture.store.capMessages(
        capSender: "vagtcentral@beredskab.example.dk", identifier: "DK-HBR-2025-0042"
      ).map(\.id) == [id])
  }

  @Test func anUpdateSupersedesTheNewestVersionOfWhatItReferences() async throws {
    let fixture = try CAPStoreFixture()
    defer { fixture.cleanUp() }
    let original = try await fixture.accept(try CAPFixtures.alert("danish-exercise")).id

    let update = try CAPStoreFixture.update("DK-HBR-2025-0043", of: ["DK-HBR-2025-0042"])
    let request = try await fixture.request(update)
    #expect(request.kind == .update)
    #expect(request.supersedes == original)
    let second = try await fixture.intake().accept(request).id
    // Fed again: the same predecessor, so intake answers duplicate.
    #expect(try await fixture.request(update).supersedes == original)
    #expect(try await fixture.accept(update) == .duplicate(second))

    // An Update naming only the original replaces what readers have now.
    let third = try CAPStoreFixture.update(
      "DK-HBR-2025-0045", of: ["DK-HBR-2025-0042"], headline: "Faren er drevet over")
    #expect(try await fixture.request(third).supersedes == second)
    // The last known reference decides; unknown ones are passed over.
    let mixed = try CAPStoreFixture.update(
      "DK-HBR-2025-0046", of: ["DK-HBR-2025-0042", "UNKNOWN-1"])
    #expect(try await fixture.request(mixed).supersedes == second)
    // Nothing known: sent as a new message.
    let unknown = try CAPStoreFixture.update("DK-HBR-2025-0047", of: ["UNKNOWN-2"])
    #expect(try await fixture.request(unknown).supersedes == nil)
  }

  @Test func aCancelWithdrawsTheNewestVersionOnceAndAgainDoesNothing() async throws {
    let fixture = try CAPStoreFixture()
    defer { fixture.cleanUp() }
    let original = try await fixture.accept(try CAPFixtures.alert("danish-exercise")).id
    let update = try await fixture.accept(
      try CAPStoreFixture.update("DK-HBR-2025-0043", of: ["DK-HBR-2025-0042"])
    ).id
    let latest = try await fixture.store.latestVersion(of: original)
    #expect(latest.id == update)
    #expect(latest.cancelledAt == nil)

    let cancel = try CAPFixtures.alert("cancel")
    guard case .cancel(let cancellation) = try await fixture.action(cancel) else {
      Issue.record("a Cancel was not a cancellation")
      return
    }
    // Both references lead to the update, which is cancelled once.
    #expect(cancellation.messages == [update])
    #expect(cancellation.alreadyCancelled.isEmpty)
    #expect(cancellation.unknown.isEmpty)
    #expect(cancellation.reason == "Sendt ved en fejl; erstattes ikke.")
    #expect(
      cancellation.sender
        == Sender(kind: .cap, name: "vagtcentral@beredskab.example.dk", origin: "test.xml"))

    _ = try await fixture.store.cancel(
      Cancellation(
        messageID: update, reason: cancellation.reason, actor: cancellation.sender,
        at: fixture.clock.now()))
    guard case .cancel(let again) = try await fixture.action(cancel) else { return }
    #expect(again.messages.isEmpty)
    #expect(again.alreadyCancelled == [update])

    // An Update of what was cancelled is refused: it cannot bring it back.
    await #expect(throws: CAPError.self) {
      try await fixture.action(
        try CAPStoreFixture.update("DK-HBR-2025-0048", of: ["DK-HBR-2025-0043"]))
    }
  }

  @Test func aCancelOfNothingKnownIsRefusedAndItsReasonFallsBack() async throws {
    let fixture = try CAPStoreFixture()
    defer { fixture.cleanUp() }
    var cancel = try CAPFixtures.alert("cancel")
    do {
      _ = try await fixture.action(cancel)
      Issue.record("a Cancel of unknown alerts was accepted")
    } catch let error as CAPError {
      #expect(error.path == "alert/references")
      #expect(error.message.contains("DK-HBR-2025-0042, DK-HBR-2025-0043"), "\(error)")
    }
    cancel.note = "  \n "
    #expect(CAPIntake.cancelReason(cancel) == "Cancelled by CAP alert DK-HBR-2025-0044")
    cancel.note = "Linje 1\r\nLinje\t2" + String(repeating: "x", count: 600)
    let reason = CAPIntake.cancelReason(cancel)
    #expect(reason.hasPrefix("Linje 1\nLinje 2"))
    #expect(reason.count == Cancellation.maxReasonLength)
  }

  @Test func keysThatAreNotPlainAsciiAreHashed() {
    #expect(
      CAPIntake.idempotencyKey(sender: "a@b", identifier: "X-1", principal: .operators)
        == "cap:a@b,X-1")
    let hashed = CAPIntake.idempotencyKey(
      sender: "beredskab@ø.dk", identifier: "X-1", principal: .operators)
    #expect(hashed.hasPrefix("cap-sha256:"))
    #expect(hashed.count == "cap-sha256:".count + 64)
    let long = CAPIntake.idempotencyKey(
      sender: "a", identifier: String(repeating: "x", count: 300), principal: .operators)
    #expect(long.hasPrefix("cap-sha256:"))
  }
}
