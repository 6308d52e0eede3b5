/// What an audience's messages look like: subject format, header, footer
/// (e.g. the one phone number for relatives' questions), signature, email
/// `Reply-To` and the SMS text (`sms_format`), with translations per language. The operator writes one
/// message; the template makes it right for each audience.
///
/// Every part is a Mustache template over the variables in
/// ``TemplateVariable``: `subject`, `body`, `audience`, `audience_key`,
/// `bulletin`, `kind`, `kind_label`, `priority`, `language`,
/// `recipient_name`, `sent_at` and `updates_bulletin`; sections work, e.g.
/// `{{#updates_bulletin}}Opdatering af #{{updates_bulletin}}{{/updates_bulletin}}`.
/// Output is plain text: `&`, `<` and `"` come out as written.
///
/// Parts are checked and compiled here, when the configuration is loaded: a
/// syntax error or an unknown variable is a ``TemplateError`` naming the part,
/// so rendering a delivery cannot fail.
///
/// A missing (`nil`) subject format or header means the default
/// (``defaultSubjectFormat``, ``defaultHeader``); an empty header, footer or
/// signature means none. A translation replaces only the parts it sets; the
/// rest come from the base parts.
public struct AudienceTemplate: Sendable {
  /// The texts of the parts for one language, as configured.
  public struct Parts: Sendable, Equatable {
    public var subjectFormat: String?
    public var header: String?
    public var footer: String?
    public var signature: String?
    /// The SMS text when the operator wrote none (`sms_format`), e.g.
    /// `{{subject}}: {{first_paragraph}} Ring 7012 3456`; without it an SMS
    /// reader gets subject, first paragraph and the footer's link or phone.
    public var smsFormat: String?

    public init(
      subjectFormat: String? = nil, header: String? = nil, footer: String? = nil,
      signature: String? = nil, smsFormat: String? = nil
    ) {
      self.subjectFormat = subjectFormat
      self.header = header
      self.footer = footer
      self.signature = signature
      self.smsFormat = smsFormat
    }
  }

  /// The subject unless configured: `[Pårørende #12] Vandforsyning afbrudt`,
  /// so a reader sees the audience and notices a gap in the numbers; for a
  /// reader who got the message it supersedes,
  /// `[Pårørende #13, opdaterer #12] Vandforsyning genoprettet`.
  public static let defaultSubjectFormat =
    "[{{audience}} #{{bulletin}}{{#update_label}}, {{update_label}}{{/update_label}}] {{subject}}"
  /// The header unless configured: `Varsel · Pårørende #12 · 25.11.2026 kl. 13:05`,
  /// with `· opdaterer #11` after the number for an update.
  public static let defaultHeader =
    "{{kind_label}} · {{audience}} #{{bulletin}}{{#update_label}} · {{update_label}}{{/update_label}} · {{sent_at}}"

  /// For a conversation with one person (`MessageKind.isConversation`):
  /// the subject as written, no header, no bulletin number.
  public static let conversation =
    (try? AudienceTemplate(
      subjectFormat: "{{subject}}", header: "", footer: nil, signature: nil, replyTo: nil,
      smsFormat: nil, translations: [:])) ?? standard

  /// The default: default subject and header, no footer, no signature, no `Reply-To`.
  public static let standard = try! AudienceTemplate(
    subjectFormat: nil, header: nil, footer: nil, signature: nil, replyTo: nil
  )

  /// The base parts as configured.
  public let base: Parts
  /// The translations as configured, by lower-case language code.
  public let translations: [String: Parts]
  /// The mailbox replies go to, e.g. `Pårørendetelefonen <paaroerende@kommune.example>`;
  /// validated by whoever reads the configuration.
  public var replyTo: String?

  private let compiledBase: CompiledParts
  private let compiledTranslations: [String: CompiledParts]

  /// Compiles the templates; throws a ``TemplateError`` naming the part (e.g.
  /// `footer[en]`) and what is wrong with it.
  public init(
    subjectFormat: String?, header: String?, footer: String?, signature: String?, replyTo: String?,
    smsFormat: String? = nil, translations: [String: Parts] = [:]
  ) throws(TemplateError) {
    if let subjectFormat { try Self.checkSubjectFormat(subjectFormat, part: "subject") }
    let base = CompiledParts(
      subject: try TemplatePart(subjectFormat ?? Self.defaultSubjectFormat, part: "subject"),
      header: try TemplatePart(header ?? Self.defaultHeader, part: "header"),
      footer: try TemplatePart.compiling(footer, part: "footer"),
      signature: try TemplatePart.compiling(signature, part: "signature"),
      sms: try TemplatePart.compiling(smsFormat, part: "sms_format")
    )
    var byLanguage: [String: Parts] = [:]
    var compiled: [String: CompiledParts] = [:]
    for (language, parts) in translations.sorted(by: { $0.key < $1.key }) {
      let key = language.lowercased()
      guard !key.isEmpty, !key.contains(where: { $0.isWhitespace || $0 == "[" || $0 == "]" }) else {
        throw TemplateError(part: "translations", message: "\"\(language)\" is not a language code")
      }
      guard byLanguage[key] == nil else {
        throw TemplateError(part: "translations", message: "language \"\(key)\" is given twice")
      }
      byLanguage[key] = parts
      compiled[key] = try base.overridden(by: parts, language: key)
    }
    self.base = Parts(
      subjectFormat: subjectFormat, header: header, footer: footer, signature: signature,
      smsFormat: smsFormat)
    self.translations = byLanguage
    self.replyTo = replyTo
    self.compiledBase = base
    self.compiledTranslations = compiled
  }

  /// The parts for `language`: its translation (exact code first, then the
  /// primary subtag, so `en-GB` finds `en`), else the base parts.
  /// Whether readers in `language` see text of their own (the template
  /// shows `recipient_name`), so it cannot be rendered once for all.
  func isPerRecipient(language: String) -> Bool { parts(for: language).showsRecipient }

  func parts(for language: String) -> CompiledParts {
    if compiledTranslations.isEmpty { return compiledBase }
    return compiledTranslations[language] ?? compiledTranslations[LanguageTag.primary(language)]
      ?? compiledBase
  }

  /// A subject that renders empty would leave the reader with nothing to go on.
  static func checkSubjectFormat(_ format: String, part: String) throws(TemplateError) {
    guard format.contains(where: { !$0.isWhitespace }) else {
      throw TemplateError(
        part: part, message: "is empty; leave it out to use the default \"\(defaultSubjectFormat)\""
      )
    }
  }
}

extension AudienceTemplate: Equatable {
  /// Two templates are equal when they were made from the same texts, so a
  /// configuration reload can tell whether an audience's template changed.
  public static func == (lhs: AudienceTemplate, rhs: AudienceTemplate) -> Bool {
    lhs.base == rhs.base && lhs.translations == rhs.translations && lhs.replyTo == rhs.replyTo
  }
}
