import Foundation
import Testing

@testable import CommsCore

/// Drafts on both stores: stored and audited with who made them, edited
/// only while open and only at the revision the editor saw, sent once
/// (a second close as the same message changes nothing), discarded for
/// good; and the request a draft sends carries its own idempotency key.
@Suite struct DraftStoreTests {
  @Test(arguments: StoreKind.allCases)
  func aDraftIsEditedAtItsRevisionSentOnceAndThenClosed(kind: StoreKind) async throws {
    let fixture = try StoreFixture(kind)
    defer { fixture.cleanUp() }
    let store = fixture.store
    let now = fixture.clock.now()
    var content = DraftContent(fixture.request(audiences: ["relatives"]))
    let id = try await store.createDraft(content, by: "anna", at: now)
    #expect(DraftID.isWellFormed(id.rawValue))
    content.contents["da"]?.subject = "Rettet"
    #expect(try await store.editDraft(id, content, revision: 1, by: "carl", at: now + 60) == 2)
    // Carl's colleague still at revision 1: refused, nothing lost.
    await #expect(throws: StoreError.self) {
      try await store.editDraft(id, content, revision: 1, by: "dorte", at: now + 70)
    }
    let draft = try #require(try await store.draft(id))
    #expect(draft.revision == 2 && draft.createdBy == "anna" && draft.updatedBy == "carl")
    #expect(draft.content.contents["da"]?.subject == "Rettet")

    let request = draft.content.request(
      sending: id, sender: Sender(kind: .cli, name: "bo", origin: "h"), now: now)
    #expect(request.idempotencyKey == "draft:\(id)")
    #expect(request.draft == id)
    guard case .accepted(let message) = try await fixture.intake().accept(request) else {
      throw StoreError.corrupt("not accepted")
    }
    try await store.closeDraft(id, as: .sent, message: message, by: "bo", at: now + 120)
    try await store.closeDraft(id, as: .sent, message: message, by: "bo", at: now + 130)
    await #expect(throws: StoreError.self) {
      try await store.closeDraft(id, as: .discarded, by: "anna", at: now + 140)
    }
    await #expect(throws: StoreError.self) {
      try await store.editDraft(id, content, revision: nil, by: "anna", at: now + 150)
    }
    #expect(try await store.drafts().isEmpty, "no open drafts")
    let sent = try #require(try await store.drafts(all: true).first)
    #expect(sent.state == .sent && sent.messageID == message && sent.closedBy == "bo")
    #expect(try await store.message(message)?.draft == id)

    let kinds = try await fixture.strings(
      "SELECT kind FROM audit_events WHERE kind LIKE 'draft.%' ORDER BY seq")
    #expect(kinds == ["draft.created", "draft.edited", "draft.sent"])
    let drafter = try await fixture.strings(
      "SELECT detail FROM audit_events WHERE kind = 'draft.sent'")
    #expect(drafter.first?.contains("\"drafted_by\":\"anna\"") == true, "\(drafter)")

    // The retention period: the closed draft goes, an open one stays.
    let open = try await store.createDraft(content, by: "anna", at: now)
    let later = now + 40 * 86_400
    let outcome = try await store.applyRetention(
      before: later - 30 * 86_400, hash: KeyedHash(key: Array(repeating: 7, count: 32)), at: later,
      period: "30d")
    #expect(outcome.drafts == 1)
    #expect(try await store.drafts(all: true).map(\.id) == [open])
  }

  @Test func aTemplatesExpiryCountsFromTheSendNotFromTheDraft() throws {
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    let template = try MessageTemplateTests.read(MessageTemplateTests.ban)  // expires = "3d"
    let sender = Sender(kind: .cli, name: "anna", origin: "h")
    let values = ["enhed": "X", "fra": "1.12"]
    let request = try template.request(
      values: values, overrides: MessageTemplate.Overrides(), sender: sender, now: now)
    #expect(request.expiresAt == now + 3 * 86_400)
    let content = DraftContent(request)
    #expect(content.expiresAt == nil && content.expiresAfterSeconds == 3 * 86_400)
    #expect(content.template == "besoegsforbud" && content.variables == values)
    // A typed expiry is the sender's: kept as the time it is.
    var typed = MessageTemplate.Overrides()
    typed.expiresAt = now + 3600
    let fixed = DraftContent(
      try template.request(values: values, overrides: typed, sender: sender, now: now))
    #expect(fixed.expiresAt == now + 3600 && fixed.expiresAfterSeconds == nil)
    let later = now + 5 * 86_400
    let sent = content.request(
      sending: DraftID(rawValue: "drf_01KBX7A2C3D4E5F6G7H8J9K0MN"),
      sender: Sender(kind: .cli, name: "bo", origin: "h"), now: later, release: later + 3600)
    #expect(sent.expiresAt == later + 3600 + 3 * 86_400)
    #expect(sent.notBefore == later + 3600)
  }
}
