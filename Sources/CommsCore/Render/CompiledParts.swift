/// The parts of an audience template for one language, compiled and with the
/// base parts already filled in where the translation leaves them out, so a
/// render does one dictionary lookup and no merging.
struct CompiledParts: Sendable {
  let subject: TemplatePart
  let header: TemplatePart?
  let footer: TemplatePart?
  let signature: TemplatePart?
  /// The SMS text (`sms_format`); nil for the shortened rendering.
  let sms: TemplatePart?
  /// Whether any part shows `sent_at`, the one value that costs something to
  /// produce.
  let showsSentAt: Bool
  /// Whether any part shows the recipient's name: then no two readers see
  /// the same text.
  let showsRecipient: Bool

  init(
    subject: TemplatePart, header: TemplatePart?, footer: TemplatePart?, signature: TemplatePart?,
    sms: TemplatePart? = nil
  ) {
    self.subject = subject
    self.header = header
    self.footer = footer
    self.signature = signature
    self.sms = sms
    showsSentAt = [subject, header, footer, signature, sms].contains {
      $0?.variables.contains(.sentAt) ?? false
    }
    // The SMS text is made per delivery anyway; this is about the email body.
    showsRecipient = [subject, header, footer, signature].contains {
      $0?.variables.contains(.recipientName) ?? false
    }
  }

  /// These parts with the ones `translation` sets put in their place.
  func overridden(by translation: Parts, language: String) throws(TemplateError) -> CompiledParts {
    func compile(_ text: String?, _ name: String) throws(TemplateError) -> TemplatePart? {
      try TemplatePart.compiling(text, part: "\(name)[\(language)]")
    }
    if let format = translation.subjectFormat {
      try AudienceTemplate.checkSubjectFormat(format, part: "subject[\(language)]")
    }
    return CompiledParts(
      subject: try compile(translation.subjectFormat, "subject") ?? subject,
      header: try translation.header == nil ? header : compile(translation.header, "header"),
      footer: try translation.footer == nil ? footer : compile(translation.footer, "footer"),
      signature: try translation.signature == nil
        ? signature : compile(translation.signature, "signature"),
      sms: try translation.smsFormat == nil ? sms : compile(translation.smsFormat, "sms_format")
    )
  }

  typealias Parts = AudienceTemplate.Parts
}
