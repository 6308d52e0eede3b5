import Mustache

/// A ``RenderContext`` as templates see it: by ``TemplateVariable``, and
/// by name through `MustacheParent`, which is much cheaper than the reflection
/// swift-mustache uses otherwise.
///
/// To Mustache, empty text and a missing `updates_bulletin` are `nil`, so
/// they are false in a section and render as nothing.
struct TemplateValues: MustacheParent {
  let context: RenderContext
  /// Formatted once per render, and only when a template shows it.
  let sentAt: String
  /// Applied to every text value (not to the template's own text): JSON or
  /// form escaping for an endpoint's body template.
  var escape: (@Sendable (String) -> String)?

  init(
    _ context: RenderContext, formattingSentAt: Bool,
    escape: (@Sendable (String) -> String)? = nil
  ) {
    self.context = context
    self.escape = escape
    self.sentAt =
      formattingSentAt ? SendTimeText.format(context.sentAt, language: context.language) : ""
  }

  /// The value as text, as it is shown; empty when it is absent.
  func text(_ variable: TemplateVariable) -> String {
    guard let escape else { return raw(variable) }
    return escape(raw(variable))
  }

  private func raw(_ variable: TemplateVariable) -> String {
    switch variable {
    case .subject: context.subject
    case .body: context.body
    case .firstParagraph: SMSText.firstParagraph(context.body)
    case .audience: context.audience
    case .audienceKey: context.audienceKey
    case .bulletin: String(context.bulletin)
    case .kind: context.kind.rawValue
    case .kindLabel: KindLabels.label(context.kind, language: context.language)
    case .priority: context.priority.rawValue
    case .language: context.language
    case .recipientName: context.recipientName
    case .sentAt: sentAt
    case .updatesBulletin: context.isUpdateOf.map { String($0) } ?? ""
    case .updateLabel:
      context.isUpdateOf.map { KindLabels.updateLabel($0, language: context.language) } ?? ""
    case .contact: context.delivery?.contact ?? ""
    case .deliveryID: context.delivery?.deliveryID ?? ""
    case .messageID: context.delivery?.messageID ?? ""
    case .text: context.delivery?.text ?? ""
    case .title: context.delivery?.title ?? ""
    case .segments: context.delivery.map { String($0.segments) } ?? ""
    }
  }

  func child(named name: String) -> Any? {
    switch TemplateVariable(rawValue: name) {
    case nil: return nil
    // Numbers stay numbers, so Mustache's number transforms apply to them.
    case .bulletin: return context.bulletin
    case .updatesBulletin: return context.isUpdateOf
    case .segments: return context.delivery?.segments
    case let variable?:
      let text = text(variable)
      return text.isEmpty ? nil : text
    }
  }
}
