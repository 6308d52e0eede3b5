import Foundation
import Testing

@testable import CommsCore

/// Replies that come back, on both stores: matched to a person and a
/// bulletin, routed to the audience's handlers, acknowledged (dosed),
/// answered to that one person, reminded once, and pseudonymised after
/// the retention period.
@Suite struct InquiryStoreTests {
  static let routing = """
    [endpoints.carebook]
    url = "http://127.0.0.1:8098/carebook"
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    [audiences.relatives.inbound]
    route = ["email:paaroerende@kommune.example", "webhook:carebook"]
    answer_within = "4h"
    [inbound]
    route = ["email:hotline@kommune.example"]
    """

  struct Setup {
    let fixture: StoreFixture
    let bulletin: MessageID

    init(_ kind: StoreKind) async throws {
      fixture = try StoreFixture(kind, more: InquiryStoreTests.routing)
      bulletin = try await fixture.acceptAndPlan(fixture.request(audiences: ["relatives"]))
      // The bulletin reached everyone: a reply answers the latest that did.
      try await fixture.execute("UPDATE deliveries SET state = 'delivered'")
    }

    var store: any Store { fixture.store }
    var now: Date { fixture.clock.now() }

    func receive(
      _ from: String, _ text: String, channel: InboundChannel = .sms, source: String = "sms",
      reference: String? = nil, tag: DeliveryID? = nil, automatic: String? = nil,
      at offset: TimeInterval = 60
    ) async throws -> InquiryOutcome {
      let directory = fixture.configuration.directory
      return try await store.receiveReply(
        IncomingReply(
          channel: channel, source: source, from: from, text: text, reference: reference,
          tag: tag, automatic: automatic),
        sender: directory.recipient(reachedAt: from, endpoint: channel == .sms ? source : nil),
        directory: directory, confirms: false, confirmSince: now - 86400,
        policy: fixture.configuration.inboundPolicy, at: now + offset)
    }

    func inquiry(_ outcome: InquiryOutcome) throws -> InquiryID {
      guard case .inquiry(let id, _, _) = outcome else {
        throw StoreError.corrupt("not an inquiry: \(outcome)")
      }
      return id
    }

    /// The deliveries of the messages composed about inquiries, by role.
    func composed(_ role: InquiryNotice.Role) async throws -> [[String]] {
      try await store.read { reader in
        try reader.rows(
          """
          SELECT d.recipient_id, d.channel, COALESCE(d.endpoint, ''), d.address, d.language, m.contents
          FROM deliveries d JOIN messages m ON m.id = d.message_id
          WHERE m.inquiry LIKE ? ORDER BY d.created_at, d.address
          """, ["%\"role\":\"\(role.rawValue)\"%"]
        ).map { row in try (0..<6).map { try row[$0] as String } }
      }
    }
  }

  @Test(arguments: StoreKind.allCases)
  func aRelativesQuestionIsMatchedRoutedAndAcknowledgedInTheirLanguage(_ kind: StoreKind)
    async throws
  {
    let setup = try await Setup(kind)
    defer { setup.fixture.cleanUp() }
    // Bo (relatives, English, +4511111111) asks by SMS.
    let outcome = try await setup.receive("+4511111111", "Can we visit on Sunday?")
    guard case .inquiry(let id, .latest, false) = outcome else {
      Issue.record("\(outcome)")
      return
    }
    let detail = try #require(try await setup.store.inquiryDetail(id))
    #expect(detail.inquiry.recipientID == "b" && detail.inquiry.recipientName == "Bo")
    #expect(detail.inquiry.audience == "relatives" && detail.inquiry.language == "en")
    #expect(detail.inquiry.messageID == setup.bulletin && detail.inquiry.bulletin == 1)
    #expect(detail.inquiry.state == .open)
    #expect(detail.inquiry.alertAt == setup.now + 60 + 4 * 3600)
    #expect(detail.bulletinSubject == "Besøgsforbud")
    // One copy per route, in the default language, with the question in it.
    let forwards = try await setup.composed(.forward)
    #expect(
      forwards.map { [$0[1], $0[2], $0[3]] } == [
        ["email", "", "paaroerende@kommune.example"], ["webhook", "carebook", ""],
      ]
        || forwards.map { [$0[1], $0[2], $0[3]] } == [
          ["webhook", "carebook", ""], ["email", "", "paaroerende@kommune.example"],
        ])
    #expect(forwards.allSatisfy { $0[0] == "handlers" && $0[4] == "da" })
    #expect(forwards.first?[5].contains("Can we visit on Sunday?") == true)
    #expect(forwards.first?[5].contains("Spørgsmål fra Bo (b)") == true)
    // The acknowledgement: to Bo only, on the SMS endpoint he used, in English.
    let acknowledgements = try await setup.composed(.acknowledgement)
    #expect(
      acknowledgements.map { [$0[0], $0[2], $0[3], $0[4]] } == [["b", "sms", "+4511111111", "en"]])
    #expect(acknowledgements.first?[5].contains("We have received your question") == true)
    // No bulletin number was taken: the next bulletin to relatives is #2.
    let next = try await setup.fixture.acceptAndPlan(
      setup.fixture.request(audiences: ["relatives"]))
    #expect(try await setup.store.status(of: next)?.bulletins["relatives"] == 2)
    // Audited, with the text beside the chain.
    let events = try await setup.store.auditEvents(kinds: ["inquiry.received"])
    #expect(events.map { $0.event.detail["inquiry"] } == [id.rawValue])
    #expect(events.first?.event.personal["text"] == "Can we visit on Sunday?")
  }

  @Test(arguments: StoreKind.allCases)
  func theSameReplyTwiceIsOneInquiryAndAcknowledgementsAreDosed(_ kind: StoreKind) async throws {
    let setup = try await Setup(kind)
    defer { setup.fixture.cleanUp() }
    let first = try setup.inquiry(
      try await setup.receive("+4522222222", "Hvornår må vi komme?", reference: "mo-1"))
    let again = try await setup.receive("+4522222222", "Hvornår må vi komme?", reference: "mo-1")
    #expect(again == .inquiry(first, match: .latest, duplicate: true))
    // A second question within the hour: an inquiry, routed, not acknowledged again.
    _ = try setup.inquiry(
      try await setup.receive("+4522222222", "Og hvad med påske?", reference: "mo-2", at: 600))
    #expect(try await setup.composed(.acknowledgement).count == 1)
    #expect(try await setup.composed(.forward).count == 4)
    #expect(try await setup.store.inquiries(InboxFilter()).count == 2)
    // An hour later: acknowledged again, in Danish (Cecilie's language is the default).
    _ = try await setup.receive("+4522222222", "Tak", reference: "mo-3", at: 4000)
    let acknowledgements = try await setup.composed(.acknowledgement)
    #expect(acknowledgements.count == 2)
    #expect(acknowledgements.allSatisfy { $0[4] == "da" && $0[5].contains("Vi har modtaget") })
  }

  @Test(arguments: StoreKind.allCases)
  func anUnknownSenderIsKeptUnmatchedAndAnAutomaticReplyIsNoInquiry(_ kind: StoreKind)
    async throws
  {
    let setup = try await Setup(kind)
    defer { setup.fixture.cleanUp() }
    let stranger = try setup.inquiry(try await setup.receive("+4599999999", "Hvem er I?"))
    let detail = try #require(try await setup.store.inquiryDetail(stranger))
    #expect(detail.inquiry.match == .unmatched && detail.inquiry.recipientID == nil)
    #expect(detail.inquiry.audience == nil && detail.inquiry.messageID == nil)
    // Routed by [inbound]; nobody is acknowledged who is not known.
    #expect(try await setup.composed(.forward).map(\.[3]) == ["hotline@kommune.example"])
    #expect(try await setup.composed(.acknowledgement).isEmpty)
    #expect(
      try await setup.store.inquiries(InboxFilter(unmatchedOnly: true)).map(\.id) == [stranger])

    let automatic = try await setup.receive(
      "anne@kommune.example", "I am out of the office", channel: .email, source: "mailgate",
      automatic: "auto-submitted: auto-replied")
    #expect(automatic == .automatic(reason: "auto-submitted: auto-replied"))
    #expect(try await setup.store.inquiries(InboxFilter(states: [])).count == 1)
    #expect(try await setup.store.auditEvents(kinds: ["inbound.automatic"]).count == 1)
  }

  @Test(arguments: StoreKind.allCases)
  func anEmailTaggedWithADeliveryIsMatchedToItWhoeverSendsIt(_ kind: StoreKind) async throws {
    let setup = try await Setup(kind)
    defer { setup.fixture.cleanUp() }
    let lines = try await setup.store.status(of: setup.bulletin)?.deliveries ?? []
    let delivery = DeliveryID(rawValue: try #require(lines.first { $0.recipient == "c" }).id)
    let id = try setup.inquiry(
      try await setup.receive(
        "cecilie.privat@example.org", "Gælder det også for Solgården?", channel: .email,
        source: "mailgate", tag: delivery))
    let detail = try #require(try await setup.store.inquiryDetail(id)).inquiry
    #expect(detail.match == Inquiry.Match.tag && detail.recipientID == "c")
    #expect(detail.deliveryID == delivery && detail.messageID == setup.bulletin)
    // The answer goes back where the question came from: that address, by email.
    let answer = try await setup.store.answerInquiry(
      id, text: "Ja, det gælder alle plejehjem.", language: "da",
      sender: Sender(kind: .cli, name: "mette", origin: "host"),
      directory: setup.fixture.configuration.directory, at: setup.now + 300)
    let answers = try await setup.composed(.answer)
    #expect(
      answers.map { [$0[0], $0[1], $0[3]] } == [["c", "email", "cecilie.privat@example.org"]])
    // A reply to the answer is about the same bulletin.
    let followUp = try setup.inquiry(
      try await setup.receive(
        "cecilie.privat@example.org", "Tak!", channel: .email, source: "mailgate",
        tag: answer.delivery, at: 400))
    let second = try #require(try await setup.store.inquiryDetail(followUp)).inquiry
    #expect(second.messageID == setup.bulletin && second.deliveryID == delivery)
  }

  @Test(arguments: StoreKind.allCases)
  func anAnswerGoesToThatOnePersonAndClosesTheInquiry(_ kind: StoreKind) async throws {
    let setup = try await Setup(kind)
    defer { setup.fixture.cleanUp() }
    let id = try setup.inquiry(try await setup.receive("+4522222222", "Må vi komme?"))
    let operatorSender = Sender(kind: .cli, name: "mette", origin: "host")
    let directory = setup.fixture.configuration.directory
    let sent = try await setup.store.answerInquiry(
      id, text: "Ja, fra mandag.", language: "da", sender: operatorSender, directory: directory,
      at: setup.now + 900)
    let answers = try await setup.composed(.answer)
    #expect(answers.map { [$0[0], $0[2], $0[3]] } == [["c", "sms", "+4522222222"]])
    #expect(answers.first?[5].contains("Ja, fra mandag.") == true)
    let inquiry = try #require(try await setup.store.inquiryDetail(id)).inquiry
    #expect(inquiry.state == .answered && inquiry.answerMessageID == sent.message)
    #expect(inquiry.answeredBy == "cli:mette@host" && inquiry.alertAt == nil)
    // Once is enough unless asked again; closing an answered one is refused.
    await #expect(throws: StoreError.self) {
      try await setup.store.answerInquiry(
        id, text: "Igen", language: "da", sender: operatorSender, directory: directory,
        at: setup.now + 950)
    }
    await #expect(throws: StoreError.self) {
      try await setup.store.closeInquiry(id, reason: "x", by: "mette", at: setup.now + 960)
    }
    _ = try await setup.store.answerInquiry(
      id, text: "Husk mundbind.", language: "da", sender: operatorSender, again: true,
      directory: directory, at: setup.now + 1000)
    #expect(try await setup.composed(.answer).count == 2)
    // An unknown inquiry is refused by name.
    await #expect(
      throws: StoreError.refused(field: "inquiry", "no inquiry inq_00000000000000000000000000")
    ) {
      try await setup.store.assignInquiry(
        InquiryID(rawValue: "inq_00000000000000000000000000"), to: "x", by: "y", at: setup.now)
    }
    let events = try await setup.store.auditEvents(kinds: ["inquiry.answered"])
    #expect(events.count == 2 && events.first?.event.personal["text"] == "Ja, fra mandag.")
  }

  @Test(arguments: StoreKind.allCases)
  func anInquiryStillOpenAfterAnswerWithinIsBroughtBackOnce(_ kind: StoreKind) async throws {
    let setup = try await Setup(kind)
    defer { setup.fixture.cleanUp() }
    let open = try setup.inquiry(try await setup.receive("+4522222222", "Hallo?"))
    let closed = try setup.inquiry(try await setup.receive("+4511111111", "Hello?", at: 61))
    try await setup.store.closeInquiry(
      closed, reason: "ringet op", by: "mette", at: setup.now + 120)
    let policy = setup.fixture.configuration.inboundPolicy
    #expect(try await setup.store.remindUnanswered(policy: policy, at: setup.now + 3600) == 0)
    #expect(
      try await setup.store.remindUnanswered(policy: policy, at: setup.now + 4 * 3600 + 61) == 1)
    #expect(try await setup.store.remindUnanswered(policy: policy, at: setup.now + 5 * 3600) == 0)
    let reminders = try await setup.composed(.reminder)
    #expect(reminders.count == 2)
    #expect(reminders.allSatisfy { $0[5].contains("Ubesvaret i 4h") && $0[5].contains("Hallo?") })
    let detail = try #require(try await setup.store.inquiryDetail(open)).inquiry
    #expect(detail.alertAt == nil && detail.alertedAt == setup.now + 4 * 3600 + 61)
  }

  @Test func afterTheRetentionPeriodTheTextIsHashedAndTheChainStillVerifies() async throws {
    let setup = try await Setup(.sqlite)
    defer { setup.fixture.cleanUp() }
    let id = try setup.inquiry(try await setup.receive("+4522222222", "Min mor hedder Inger."))
    let stranger = try setup.inquiry(try await setup.receive("+4599999999", "Hjælp", at: 70))
    _ = try await setup.store.answerInquiry(
      id, text: "Vi ringer til dig.", language: "da",
      sender: Sender(kind: .cli, name: "mette", origin: "host"),
      directory: setup.fixture.configuration.directory, at: setup.now + 100)
    try await setup.fixture.execute("UPDATE deliveries SET state = 'delivered'")
    let hash = KeyedHash(key: Array(repeating: 7, count: 32))
    let later = setup.now + 40 * 86400
    let outcome = try await setup.store.applyRetention(
      before: later - 30 * 86400, hash: hash, at: later, period: "30d")
    #expect(outcome.inquiries == 2)
    for inquiry in [id, stranger] {
      let kept = try #require(try await setup.store.inquiryDetail(inquiry)).inquiry
      #expect(KeyedHash.isPseudonym(kept.text) && KeyedHash.isPseudonym(kept.from))
      #expect(kept.pseudonymisedAt == later)
    }
    let texts = try await setup.fixture.strings(
      "SELECT COALESCE(inquiry, '') || contents FROM messages")
    #expect(!texts.contains { $0.contains("Inger") || $0.contains("Vi ringer") })
    let events = try await setup.store.auditEvents(
      kinds: ["inquiry.received", "inquiry.answered"])
    for event in events {
      #expect(
        event.event.personal.allSatisfy {
          $0.key == "pseudonymised_at" || KeyedHash.isPseudonym($0.value)
        },
        "\(event.event.kind) \(event.event.personal)")
    }
    guard case .intact = try await setup.store.verifyAudit() else {
      Issue.record("the chain no longer verifies")
      return
    }
    // Too late to answer: the sender is no longer kept.
    await #expect(throws: StoreError.self) {
      try await setup.store.closeInquiry(stranger, reason: "x", by: "y", at: later)
    }
  }
}
