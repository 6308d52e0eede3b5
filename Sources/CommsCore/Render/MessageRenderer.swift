/// Turns an operator's message into what one reader sees, using their
/// audience's template. Called for every delivery, so all parsing happened
/// when the template was made; a render costs a few microseconds.
public enum MessageRenderer {
  /// The subject is the subject format rendered, on one line. The body is
  /// `header + "\n\n" + body + "\n\n" + footer + "\n\n-- \n" + signature`:
  /// parts apart by a blank line, and the signature after the usual `-- `
  /// line. A part that renders empty (or only white space) is left out with
  /// its separator, and white space around each part is dropped, so a
  /// template written with a final line break does not leave blank lines.
  public static func render(_ template: AudienceTemplate, _ context: RenderContext)
    -> RenderedMessage
  {
    let parts = template.parts(for: context.language)
    let values = TemplateValues(context, formattingSentAt: parts.showsSentAt)
    var body = ""
    func add(_ text: String, after separator: String) {
      let trimmed = trimmed(text)
      guard !trimmed.isEmpty else { return }
      if !body.isEmpty { body += separator }
      body += trimmed
    }
    if let header = parts.header { add(header.render(values), after: "\n\n") }
    add(context.body, after: "\n\n")
    if let footer = parts.footer { add(footer.render(values), after: "\n\n") }
    if let signature = parts.signature { add(signature.render(values), after: "\n\n-- \n") }
    return RenderedMessage(subject: oneLine(parts.subject.render(values)), body: body)
  }

  /// The footer alone, rendered and trimmed; nil when the template has none
  /// or it renders empty. An SMS takes its link or phone number from it.
  public static func footer(_ template: AudienceTemplate, _ context: RenderContext) -> String? {
    let parts = template.parts(for: context.language)
    guard let footer = parts.footer else { return nil }
    let text = trimmed(
      footer.render(TemplateValues(context, formattingSentAt: parts.showsSentAt)))
    return text.isEmpty ? nil : text
  }

  /// The audience's SMS text (`sms_format`) rendered and trimmed; nil when
  /// the template has none or it renders empty.
  public static func sms(_ template: AudienceTemplate, _ context: RenderContext) -> String? {
    let parts = template.parts(for: context.language)
    guard let sms = parts.sms else { return nil }
    let text = trimmed(sms.render(TemplateValues(context, formattingSentAt: parts.showsSentAt)))
    return text.isEmpty ? nil : text
  }

  /// `text` on one line: every run of spaces that holds a line break, tab or
  /// other control character becomes one space, and the ends are trimmed. A
  /// subject becomes an email header, where a line break would end it.
  static func oneLine(_ text: String) -> String {
    func breaks(_ scalar: Unicode.Scalar) -> Bool {
      switch scalar.value {
      case 0..<0x20, 0x7F, 0x85, 0x2028, 0x2029: true
      default: false
      }
    }
    let scalars = text.unicodeScalars
    guard scalars.contains(where: breaks) else { return trimmed(text) }
    var result = String.UnicodeScalarView()
    var run = String.UnicodeScalarView()
    var runBreaks = false
    for scalar in scalars {
      if scalar == " " || breaks(scalar) {
        run.append(scalar)
        runBreaks = runBreaks || scalar != " "
        continue
      }
      if !result.isEmpty { result.append(contentsOf: runBreaks ? " ".unicodeScalars : run) }
      run.removeAll(keepingCapacity: true)
      runBreaks = false
      result.append(scalar)
    }
    return String(result)
  }

  /// `text` without white space at either end.
  static func trimmed(_ text: String) -> String {
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
    let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
    if first == scalars.startIndex, last == scalars.index(before: scalars.endIndex) { return text }
    return String(scalars[first...last])
  }
}
