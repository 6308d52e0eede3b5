import Testing

@testable import CommsCore

/// What an SMS reader gets: the operator's SMS text, or a shortened
/// rendering (subject, first paragraph, the footer's link or phone), cut at
/// a word with a visible "..." when it would take more SMS than allowed.
@Suite struct SMSTextTests {
  let rendered = RenderedMessage(subject: "[Personale #7] Vand afbrudt", body: "(whole body)")

  @Test func aWrittenSMSTextIsSentAsWrittenWithTheMark() {
    let sms = SMSText.render(
      content: MessageContent(subject: "s", body: "b", sms: "Kog vandet."),
      rendered: rendered, footer: "Spørgsmål: tlf. 7012 3456", mark: "[ØVELSE]", maxSegments: 1)
    #expect(sms.text == "[ØVELSE] Kog vandet.")
    #expect(sms.source == .written)
  }

  @Test func withoutOneTheReaderGetsSubjectFirstParagraphAndTheFootersLink() {
    let content = MessageContent(
      subject: "Vand afbrudt", body: "\n  Kog vandet\nfør brug.\n\nAnden paragraf med detaljer.")
    let sms = SMSText.render(
      content: content, rendered: rendered,
      footer: "Læs mere på https://kommune.example/krise. Spørgsmål: 7012 3456", mark: nil,
      maxSegments: 4)
    #expect(
      sms.text == "[Personale #7] Vand afbrudt\nKog vandet før brug.\nhttps://kommune.example/krise"
    )
    #expect(sms.source == .shortened)
    #expect(sms.segments.count == 1)
  }

  /// An audience's `sms_format` (with translations) makes the text when the
  /// operator wrote none; a written one still comes first.
  @Test func anAudiencesSMSFormatMakesTheTextInTheReadersLanguage() throws {
    let template = try AudienceTemplate(
      subjectFormat: nil, header: nil, footer: nil, signature: nil, replyTo: nil,
      smsFormat: "{{audience}} #{{bulletin}}: {{subject}}. {{first_paragraph}} Ring 7012 3456",
      translations: ["en": .init(smsFormat: "{{audience}}: {{subject}}. Call +45 7012 3456")])
    func context(_ language: String, body: String) -> RenderContext {
      RenderContext(
        subject: "Vand afbrudt", body: body, audience: "Personale", audienceKey: "staff",
        bulletin: 7, kind: .alert, priority: .urgent, language: language, recipientName: "Bo",
        sentAt: Timestamp.parse("2026-11-25T12:00:00Z")!)
    }
    let danish = try #require(
      MessageRenderer.sms(template, context("da", body: "Kog vandet\nfør brug.\n\nMere senere.")))
    #expect(danish == "Personale #7: Vand afbrudt. Kog vandet før brug. Ring 7012 3456")
    #expect(
      MessageRenderer.sms(template, context("en-GB", body: "x"))
        == "Personale: Vand afbrudt. Call +45 7012 3456")
    #expect(MessageRenderer.sms(.standard, context("da", body: "x")) == nil)

    let content = MessageContent(subject: "s", body: "b")
    let made = SMSText.render(
      content: content, rendered: rendered, footer: nil, formatted: danish, mark: "[ØVELSE]",
      maxSegments: 1)
    #expect(made.text == "[ØVELSE] " + danish)
    #expect(made.source == .template)
    let written = SMSText.render(
      content: MessageContent(subject: "s", body: "b", sms: "Kog vandet."), rendered: rendered,
      footer: nil, formatted: danish, mark: nil, maxSegments: 1)
    #expect(written.source == .written && written.text == "Kog vandet.")
  }

  @Test func aTemplateTextTooLongIsCutAtAWordWithAVisibleMark() {
    let long = "Personale: " + String(repeating: "Kog vandet før brug. ", count: 20) + "Slut."
    let sms = SMSText.render(
      content: MessageContent(subject: "s", body: "b"), rendered: rendered, footer: nil,
      formatted: long, mark: nil, maxSegments: 2)
    #expect(sms.source == .cut)
    #expect(sms.segments.count == 2)
    #expect(sms.text.hasSuffix(" ..."))
    #expect(long.hasPrefix(String(sms.text.dropLast(4))))
    #expect(!sms.text.hasSuffix("  ..."))
    // One more word would not fit.
    let next = long.dropFirst(sms.text.count - 4).drop(while: { $0 == " " })
      .prefix(while: { $0 != " " })
    #expect(SMSSegments(String(sms.text.dropLast(4)) + " " + next + " ...").count > 2)
    // No space to cut at: cut at a character, still with the mark.
    let word = String(repeating: "x", count: 400)
    let hard = SMSText.cutAtWord(word, maxSegments: 1)
    #expect(hard.hasSuffix(" ...") && SMSSegments(hard).count == 1)
    #expect(hard.count == 160)
  }

  @Test func aPhoneNumberFromTheFooterWhenItHasNoLink() {
    #expect(SMSText.contactLine("Spørgsmål: ring på tlf. 70 12 34 56 (hverdage)") == "70 12 34 56")
    #expect(SMSText.contactLine("Ring +45 7012 3456") == "+45 7012 3456")
    #expect(SMSText.contactLine("Åbent 8-16, lokal 123") == nil)
    #expect(SMSText.contactLine("Se www.kommune.example.") == "www.kommune.example")
  }

  @Test func aLongParagraphIsCutAtAWordWithAVisibleMark() {
    let words = (1...200).map { "ord\($0)" }.joined(separator: " ")
    let sms = SMSText.render(
      content: MessageContent(subject: "s", body: words), rendered: rendered,
      footer: "tlf. 7012 3456", mark: nil, maxSegments: 2)
    #expect(sms.source == .cut)
    #expect(sms.segments.count == 2)
    #expect(sms.text.hasPrefix("[Personale #7] Vand afbrudt\nord1 ord2 "))
    #expect(sms.text.hasSuffix(" ...\n7012 3456"))
    // As many words as fit: one more would take a third SMS.
    let kept = sms.text.split(separator: "\n")[1].split(separator: " ").dropLast().count
    let more =
      "[Personale #7] Vand afbrudt\n"
      + (1...(kept + 1)).map { "ord\($0)" }.joined(separator: " ") + " ...\n7012 3456"
    #expect(SMSSegments(more).count == 3)
  }
}

@Suite struct PhoneNumberTests {
  @Test(arguments: [
    ("+45 20 00 00 02", "+4520000002"), ("0045 2000-0002", "+4520000002"),
    ("20 00 00 02", "+4520000002"), ("+46 (70) 123 45 67", "+46701234567"),
  ])
  func typedNumbersBecomeE164(text: String, expected: String) throws {
    #expect(try PhoneNumber.e164(text).get() == expected)
  }

  @Test(arguments: [
    "2000 002", "+45 2000 000a", "+0 1234 5678", "+1234567890123456", "", "++4520000002",
  ])
  func otherTextIsRefusedWithoutQuotingIt(text: String) {
    guard case .failure(let error) = PhoneNumber.e164(text) else {
      Issue.record("accepted \(text)")
      return
    }
    #expect(!text.isEmpty ? !error.description.contains(text) : true)
  }

  @Test func msisdnNeverTraps() {
    #expect(PhoneNumber.msisdn("+4520000002") == 4_520_000_002)
    #expect(PhoneNumber.msisdn("+999999999999999") == 999_999_999_999_999)
    #expect(PhoneNumber.msisdn("+9999999999999999") == nil)
    #expect(PhoneNumber.msisdn("+45x") == nil)
    #expect(PhoneNumber.msisdn("") == nil)
  }
}
