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

  init(_ context: RenderContext, formattingSentAt: Bool) {
    self.context = context
    self.sentAt =
      formattingSentAt ? SendTimeText.format(context.sentAt, language: context.language) : ""
  }

  /// The value as text, as it is shown; empty when it is absent.
  func text(_ variable: TemplateVariable) -> String {
    switch variable {
    case .subject: context.subject
    case .body: context.body
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
    }
  }

  func child(named name: String) -> Any? {
    switch TemplateVariable(rawValue: name) {
    case nil: return nil
    // Numbers stay numbers, so Mustache's number transforms apply to them.
    case .bulletin: return context.bulletin
    case .updatesBulletin: return context.isUpdateOf
    case let variable?:
      let text = text(variable)
      return text.isEmpty ? nil : text
    }
  }
}
