import Foundation
import Testing

@testable import CommsCore

@Suite struct MessageRendererTests {
  /// 2026-11-25 12:05 UTC: 13:05 in Copenhagen (winter time, UTC+1).
  static let winter = Date(timeIntervalSince1970: 1_795_608_300)
  /// 2026-07-01 11:05 UTC: 13:05 in Copenhagen (summer time, UTC+2).
  static let summer = Date(timeIntervalSince1970: 1_782_903_900)

  static func context(
    subject: String = "Vandforsyningen er afbrudt på Solgården",
    body: String =
      "Kære pårørende\n\nVandet er lukket på grund af et brud. Beboerne får vand på flaske.",
    language: String = "da", kind: MessageKind = .alert, isUpdateOf: Int? = nil,
    sentAt: Date = winter
  ) -> RenderContext {
    RenderContext(
      subject: subject, body: body, audience: "Pårørende", audienceKey: "relatives", bulletin: 12,
      kind: kind, priority: .urgent, language: language, recipientName: "Søren Ærø", sentAt: sentAt,
      isUpdateOf: isUpdateOf
    )
  }

  static func template(
    subjectFormat: String? = nil, header: String? = nil, footer: String? = nil,
    signature: String? = nil, translations: [String: AudienceTemplate.Parts] = [:]
  ) throws(TemplateError) -> AudienceTemplate {
    try AudienceTemplate(
      subjectFormat: subjectFormat, header: header, footer: footer, signature: signature,
      replyTo: "Pårørendetelefonen <paaroerende@kommune.example>", translations: translations
    )
  }

  /// The error `make` throws, or nil.
  static func rejection(_ make: () throws(TemplateError) -> AudienceTemplate) -> TemplateError? {
    do {
      _ = try make()
      return nil
    } catch {
      return error
    }
  }

  @Test func standardTemplateShowsKindAudienceBulletinAndTimeInDanish() {
    let rendered = MessageRenderer.render(.standard, Self.context())
    #expect(rendered.subject == "[Pårørende #12] Vandforsyningen er afbrudt på Solgården")
    #expect(
      rendered.body == """
        Varsel · Pårørende #12 · 25.11.2026 kl. 13:05

        Kære pårørende

        Vandet er lukket på grund af et brud. Beboerne får vand på flaske.
        """
    )
    #expect(AudienceTemplate.standard.replyTo == nil)
  }

  @Test func ampersandsAnglesAndQuotesComeOutAsWritten() throws {
    let template = try Self.template(
      subjectFormat: "{{subject}} <{{audience_key}}>",
      header: "{{subject}} | {{{subject}}} | {{&subject}}"
    )
    let rendered = MessageRenderer.render(
      template,
      Self.context(subject: "Vand & varme <nu> \"straks\" 'i dag'", body: "A & B < C \"D\"")
    )
    #expect(rendered.subject == "Vand & varme <nu> \"straks\" 'i dag' <relatives>")
    let expectedHeader = Array(repeating: "Vand & varme <nu> \"straks\" 'i dag'", count: 3)
      .joined(separator: " | ")
    #expect(rendered.body == expectedHeader + "\n\nA & B < C \"D\"")
  }

  @Test func footerAndSignatureFollowTheBodyWhenConfigured() throws {
    let template = try Self.template(
      header: "", footer: "Spørgsmål? Ring til Pårørendetelefonen på 7012 3456.\n",
      signature: "Krisestaben\nAabenraa Kommune\n"
    )
    let rendered = MessageRenderer.render(template, Self.context(body: "Vandet er lukket.\n\n"))
    #expect(
      rendered.body
        == "Vandet er lukket.\n\nSpørgsmål? Ring til Pårørendetelefonen på 7012 3456.\n\n"
        + "-- \nKrisestaben\nAabenraa Kommune"
    )
    #expect(template.replyTo == "Pårørendetelefonen <paaroerende@kommune.example>")
  }

  @Test func partsThatRenderEmptyAreLeftOutWithTheirSeparators() throws {
    let template = try Self.template(
      header: "",
      footer: "{{#updates_bulletin}}Erstatter #{{updates_bulletin}}.{{/updates_bulletin}}",
      signature: "{{^recipient_name}}Krisestaben{{/recipient_name}}"
    )
    #expect(
      MessageRenderer.render(template, Self.context(body: "Vandet er lukket.")).body
        == "Vandet er lukket.")
    #expect(
      MessageRenderer.render(template, Self.context(body: "Vandet er lukket.", isUpdateOf: 11)).body
        == "Vandet er lukket.\n\nErstatter #11."
    )
    let noBody = MessageRenderer.render(
      try Self.template(signature: "Krisestaben"), Self.context(body: ""))
    #expect(noBody.body == "Varsel · Pårørende #12 · 25.11.2026 kl. 13:05\n\n-- \nKrisestaben")
  }

  @Test func updatesBulletinWorksAsVariableAndSection() throws {
    let template = try Self.template(
      header: """
        {{#updates_bulletin}}
        Opdatering af #{{updates_bulletin}}
        {{/updates_bulletin}}
        {{kind_label}} #{{bulletin}} til {{recipient_name}} ({{kind}}, {{priority}}, {{language}})
        """
    )
    let update = MessageRenderer.render(
      template, Self.context(body: "", kind: .update, isUpdateOf: 11))
    #expect(update.body == "Opdatering af #11\nOpdatering #12 til Søren Ærø (update, urgent, da)")
    let first = MessageRenderer.render(template, Self.context(body: "", kind: .allClear))
    #expect(first.body == "Afblæsning #12 til Søren Ærø (all-clear, urgent, da)")
  }

  @Test func theOperatorsBodyIsNeverReadAsATemplate() {
    let rendered = MessageRenderer.render(
      .standard, Self.context(body: "Skriv {{subject}} og {{#x}} her"))
    #expect(rendered.body.hasSuffix("\n\nSkriv {{subject}} og {{#x}} her"))
  }

  @Test func englishReaderGetsTheEnglishTranslation() throws {
    let template = try Self.template(
      footer: "Spørgsmål: ring 7012 3456.",
      translations: [
        "en": .init(
          subjectFormat: "[{{audience}} no. {{bulletin}}] {{subject}}",
          footer: "Questions: call 7012 3456.")
      ]
    )
    let context = Self.context(
      subject: "Water supply cut", body: "The water is off.", language: "en")
    let rendered = MessageRenderer.render(template, context)
    #expect(rendered.subject == "[Pårørende no. 12] Water supply cut")
    #expect(
      rendered.body
        == "Alert · Pårørende #12 · 25 Nov 2026 13:05\n\nThe water is off.\n\nQuestions: call 7012 3456."
    )
    var british = context
    british.language = "en-GB"
    #expect(
      MessageRenderer.render(template, british).subject == "[Pårørende no. 12] Water supply cut")
  }

  @Test func languageWithoutTranslationGetsTheBaseParts() throws {
    let template = try Self.template(
      footer: "Spørgsmål: ring 7012 3456.",
      translations: ["en": .init(footer: "Questions: call 7012 3456.")]
    )
    let rendered = MessageRenderer.render(
      template, Self.context(body: "Вода відключена.", language: "uk"))
    #expect(rendered.subject == "[Pårørende #12] Vandforsyningen er afbrudt på Solgården")
    #expect(
      rendered.body
        == "Попередження · Pårørende #12 · 25.11.2026, 13:05\n\nВода відключена.\n\nSpørgsmål: ring 7012 3456."
    )
  }

  @Test func kindLabelsAreInTheReadersLanguage() {
    #expect(KindLabels.label(.alert, language: "ar") == "تنبيه")
    #expect(KindLabels.label(.allClear, language: "ar") == "انتهاء الخطر")
    #expect(KindLabels.label(.process, language: "da") == "Procesinformation")
    #expect(KindLabels.label(.allClear, language: "da") == "Afblæsning")
    #expect(KindLabels.label(.update, language: "en") == "Update")
    #expect(KindLabels.label(.allClear, language: "de-DE") == "Entwarnung")
    #expect(KindLabels.label(.process, language: "so") == "Process information")
    #expect(KindLabels.label(.alert, language: "xx") == "Alert")
    for language in KindLabels.languages {
      #expect(
        Set(MessageKind.allCases.map { KindLabels.label($0, language: language) }).count
          == MessageKind.allCases.count)
    }
    let arabic = MessageRenderer.render(.standard, Self.context(body: "", language: "ar"))
    #expect(arabic.body == "تنبيه · Pårørende #12 · 2026-11-25 13:05")
  }

  @Test func subjectComesOutAsOneLine() throws {
    let rendered = MessageRenderer.render(
      .standard, Self.context(subject: "Vand\r\nafbrudt\t i\n\n  Aabenraa \u{2028} kommune\n")
    )
    #expect(rendered.subject == "[Pårørende #12] Vand afbrudt i Aabenraa kommune")
    let template = try Self.template(subjectFormat: "\n  {{audience}}:\n{{subject}}  \n")
    #expect(
      MessageRenderer.render(template, Self.context(subject: "Vand")).subject == "Pårørende: Vand")
  }

  @Test func transformsOfMustacheWork() throws {
    let template = try Self.template(
      subjectFormat: "{{uppercased(kind_label)}} {{plusone(bulletin)}}")
    #expect(MessageRenderer.render(template, Self.context()).subject == "VARSEL 13")
  }

  @Test func unknownVariableIsRejectedWithThePartNamed() {
    let header = Self.rejection { () throws(TemplateError) in
      try Self.template(header: "{{kind_label}} #{{buletin}}")
    }
    #expect(header?.part == "header")
    #expect(
      header?.message == "unknown variable \"buletin\" in {{buletin}}; did you mean \"bulletin\"?")
    let footer = Self.rejection { () throws(TemplateError) in
      try Self.template(translations: ["en": .init(footer: "Call us\n{{{ phone }}}")])
    }
    #expect(footer?.part == "footer[en]")
    #expect(
      footer?.message.hasPrefix(
        "unknown variable \"phone\" in {{{ phone }}} on line 2; the variables are subject, body")
        == true)
    let transform = Self.rejection { () throws(TemplateError) in
      try Self.template(subjectFormat: "{{plusone(audience)}}")
    }
    #expect(
      transform?.description.hasPrefix(
        "subject: unknown transform \"plusone\" in {{plusone(audience)}}") == true)
  }

  @Test func badSyntaxIsRejectedWithThePartNamed() {
    func rejection(_ parts: AudienceTemplate.Parts) -> String? {
      Self.rejection { () throws(TemplateError) in try Self.template(translations: ["en": parts]) }?
        .description
    }
    #expect(
      rejection(.init(footer: "{{#updates_bulletin}}Update of #{{updates_bulletin}}"))
        == "footer[en]: unclosed section \"updates_bulletin\""
    )
    #expect(
      rejection(.init(header: "{{#updates_bulletin}}x{{/bulletin}}"))
        == "header[en]: section \"updates_bulletin\" is closed by {{/bulletin}}"
    )
    #expect(
      rejection(.init(signature: "x\n{{/bulletin}}"))
        == "signature[en]: {{/bulletin}} closes no open section on line 2")
    #expect(
      rejection(.init(subjectFormat: "[{{audience}] {{subject}}"))
        == "subject[en]: unclosed tag \"{{audience}]\"")
    #expect(rejection(.init(header: "{{kind_label")) == "header[en]: unclosed tag \"{{kind_label\"")
    #expect(
      rejection(.init(header: "{{> contact}}"))
        == "header[en]: partials and blocks ({{> contact}}) are not supported in audience templates"
    )
    #expect(
      rejection(.init(header: "{{=<% %>=}}"))
        == "header[en]: changing the tag delimiters ({{=<% %>=}}) is not supported")
    #expect(
      rejection(.init(footer: "Ring 7012 3456\n{{% CONTENT_TYPE: XML }}"))
        == "footer[en]: unknown pragma on line 2; the only one is {{% CONTENT_TYPE: TEXT }}"
    )
    #expect(
      rejection(.init(subjectFormat: " \n"))
        == "subject[en]: is empty; leave it out to use the default \"\(AudienceTemplate.defaultSubjectFormat)\""
    )
  }

  @Test func sentAtReadsAsCopenhagenWallClockTime() {
    #expect(SendTimeText.format(Self.winter, language: "da") == "25.11.2026 kl. 13:05")
    #expect(SendTimeText.format(Self.summer, language: "da") == "01.07.2026 kl. 13:05")
    #expect(SendTimeText.format(Self.winter, language: "en") == "25 Nov 2026 13:05")
    #expect(SendTimeText.format(Self.summer, language: "en") == "1 Jul 2026 13:05")
    #expect(SendTimeText.format(Self.winter, language: "de") == "25.11.2026, 13:05")
    #expect(SendTimeText.format(Self.winter, language: "ar") == "2026-11-25 13:05")
    // Summer time starts 2026-03-29 at 01:00 UTC: 01:59 is followed by 03:00.
    #expect(
      SendTimeText.format(Date(timeIntervalSince1970: 1_774_745_940), language: "da")
        == "29.03.2026 kl. 01:59")
    #expect(
      SendTimeText.format(Date(timeIntervalSince1970: 1_774_746_000), language: "da")
        == "29.03.2026 kl. 03:00")
    // New Year arrives an hour earlier in Copenhagen than in UTC.
    #expect(
      SendTimeText.format(Date(timeIntervalSince1970: 1_798_759_800), language: "en-GB")
        == "1 Jan 2027 00:30")
    let summerHeader = MessageRenderer.render(
      .standard, Self.context(body: "", sentAt: Self.summer)
    ).body
    #expect(summerHeader == "Varsel · Pårørende #12 · 01.07.2026 kl. 13:05")
  }

  @Test func flatPartsRenderExactlyAsMustacheWould() throws {
    let texts = [
      AudienceTemplate.defaultSubjectFormat, AudienceTemplate.defaultHeader,
      "{{ audience }}:{{{subject}}}|{{& recipient_name }}\r\n  {{updates_bulletin}} } {{bulletin}}}\n",
      "Ring {x} på 7012 3456 }} {\n\n", "{{language}}{{kind}}{{priority}}{{audience_key}}{{body}}",
      "",
    ]
    let contexts = [
      Self.context(), Self.context(subject: "", language: "en", isUpdateOf: 3),
      Self.context(subject: "A & <b> \"c\"", body: "", language: "ar", kind: .process),
    ]
    for text in texts {
      let part = try TemplatePart(text, part: "header")
      for context in contexts {
        let values = TemplateValues(context, formattingSentAt: true)
        #expect(part.render(values) == part.renderThroughMustache(values), "\(text)")
      }
    }
  }

  @Test func sectionsSeeTheirValueAsDot() throws {
    let template = try Self.template(
      header:
        "{{#recipient_name}}Kære {{.}}{{/recipient_name}}{{^recipient_name}}Til alle{{/recipient_name}}"
    )
    #expect(MessageRenderer.render(template, Self.context(body: "")).body == "Kære Søren Ærø")
    var anonymous = Self.context(body: "")
    anonymous.recipientName = ""
    #expect(MessageRenderer.render(template, anonymous).body == "Til alle")
  }

  @Test func renderingIsCheapEnoughForEveryDelivery() throws {
    let flat = try Self.template(
      footer: "Spørgsmål? Ring {{audience}} på 7012 3456.", signature: "Krisestaben",
      translations: ["en": .init(footer: "Questions? Call 7012 3456.")]
    )
    let withSection = try Self.template(
      footer:
        "{{#updates_bulletin}}Erstatter #{{updates_bulletin}}.{{/updates_bulletin}} Ring 7012 3456.",
      signature: "Krisestaben"
    )
    #if DEBUG
      let renders = 10_000
    #else
      let renders = 100_000
    #endif
    for (name, template) in [("flat parts", flat), ("a footer with a section", withSection)] {
      var characters = 0
      let elapsed = ContinuousClock().measure {
        for bulletin in 0..<renders {
          let context = Self.context(isUpdateOf: bulletin % 2 == 0 ? nil : bulletin - 1)
          characters &+= MessageRenderer.render(template, context).body.utf8.count
        }
      }
      let seconds =
        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
      let microseconds = (seconds * 1e6 / Double(renders) * 100).rounded() / 100
      print("MessageRenderer, \(name): \(renders) renders in \(elapsed), \(microseconds) µs each")
      #expect(characters > 0)
    }
  }
}
