import Mustache

/// One compiled part of an audience template (subject format, header, footer
/// or signature), checked when the configuration is loaded so that rendering
/// cannot fail.
///
/// swift-mustache compiles every part, and renders those with sections,
/// comments or transforms. A flat part (text and plain variables, like the
/// default subject and header) is rendered by joining its pieces, which gives
/// the same text at a fraction of the cost: the library spends about a
/// microsecond looking up each variable, and this runs for every delivery.
struct TemplatePart: Sendable {
  private let template: MustacheTemplate
  private let segments: [TemplateTagScanner.Segment]?
  /// The variables the part uses.
  let variables: Set<TemplateVariable>

  /// Our output is plain-text email and JSON, so nothing may be HTML-escaped.
  /// The pragma stands alone on its own line, which Mustache removes with its
  /// line break, so the template's own first line keeps its meaning; errors
  /// are one line further down than the operator's text.
  private static let plainText = "{{% CONTENT_TYPE: TEXT }}\n"

  /// Compiles `text`; `part` names it in errors, e.g. `footer[en]`. Only
  /// an endpoint's body template (`forEndpoint`) may use the names of
  /// `TemplateVariable.endpointOnly`.
  init(_ text: String, part: String, forEndpoint: Bool = false) throws(TemplateError) {
    let scan: TemplateTagScanner.Scan
    do {
      scan = try TemplateTagScanner.scan(text)
    } catch {
      throw TemplateError(part: part, message: error.message)
    }
    if !forEndpoint, let name = scan.variables.intersection(TemplateVariable.endpointOnly).first {
      throw TemplateError(
        part: part,
        message:
          "\"\(name.rawValue)\" is known only in an endpoint's body template (format = \"template\")"
      )
    }
    do {
      template = try MustacheTemplate(string: Self.plainText + text)
    } catch let error as MustacheTemplate.ParserError {
      let (problem, advice) = Self.explain(error.error)
      let line = text.contains(where: \.isNewline) ? " on line \(error.context.lineNumber - 1)" : ""
      throw TemplateError(part: part, message: problem + line + (advice.map { "; \($0)" } ?? ""))
    } catch {
      throw TemplateError(part: part, message: "\(error)")
    }
    segments = scan.segments
    variables = scan.variables
  }

  /// The compiled part, or nil when the part is not configured.
  static func compiling(_ text: String?, part: String) throws(TemplateError) -> TemplatePart? {
    guard let text else { return nil }
    return try TemplatePart(text, part: part)
  }

  func render(_ values: TemplateValues) -> String {
    guard let segments else { return template.render(values) }
    if segments.count == 1, case .text(let text) = segments[0] { return text }
    var result = ""
    for segment in segments {
      switch segment {
      case .text(let text): result += text
      case .variable(let variable): result += values.text(variable)
      }
    }
    return result
  }

  /// The part rendered by swift-mustache even when it is flat; the reference
  /// the fast path must agree with.
  func renderThroughMustache(_ values: TemplateValues) -> String {
    template.render(values)
  }

  /// What went wrong, and what to do about it when that is not obvious.
  private static func explain(_ error: any Error) -> (problem: String, advice: String?) {
    guard let error = error as? MustacheTemplate.Error else { return ("\(error)", nil) }
    switch error {
    case .sectionCloseNameIncorrect:
      return ("a section is closed with another name than it was opened with", nil)
    case .unfinishedName: return ("a tag is not finished", nil)
    case .expectedSectionEnd: return ("a section is not closed", nil)
    case .invalidSetDelimiter: return ("the delimiter change is malformed", nil)
    case .transformAppliedToInheritanceSection, .illegalTokenInsideInheritSection,
      .textInsideInheritSection:
      return ("template inheritance is not supported", nil)
    case .invalidConfigVariableSyntax:
      return ("malformed pragma", "write {{% CONTENT_TYPE: TEXT }}")
    case .unrecognisedConfigVariable:
      return ("unknown pragma", "the only one is {{% CONTENT_TYPE: TEXT }}")
    }
  }
}
