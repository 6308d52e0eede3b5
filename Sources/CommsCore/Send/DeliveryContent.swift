/// What the reader of one delivery sees: the message in their language,
/// dressed in their audience's template (bulletin number, kind, footer,
/// signature). The same for every retry, because it depends only on the
/// message and the delivery, not on the time of the attempt.
enum DeliveryContent {
  static func render(
    _ delivery: Delivery, _ message: Message, audience: Audience?
  ) -> RenderedMessage {
    let context = context(delivery, message, audience: audience)
    // A question's copy, its acknowledgement and its answer are no
    // bulletin: no number, no audience header.
    let template =
      message.kind.isConversation ? AudienceTemplate.conversation : audience?.template ?? .standard
    var rendered = MessageRenderer.render(template, context)
    // An exercise or a test says so first, whatever the template: nobody
    // may take a drill for the real thing.
    if let mark = message.mode.readerMark {
      rendered = RenderedMessage(
        subject: "\(mark) \(rendered.subject)", body: "\(mark) \(rendered.body)")
    }
    return rendered
  }

  /// The values the audience's template (and an endpoint's body template)
  /// sees for `delivery`.
  static func context(
    _ delivery: Delivery, _ message: Message, audience: Audience?
  ) -> RenderContext {
    let chosen = message.content(for: delivery.language)
    return RenderContext(
      subject: chosen.content.subject, body: chosen.content.body,
      audience: audience?.displayName(in: chosen.language) ?? delivery.audience,
      audienceKey: delivery.audience, bulletin: delivery.bulletin, kind: message.kind,
      priority: message.priority, language: chosen.language,
      recipientName: delivery.recipientName, sentAt: message.acceptedAt,
      isUpdateOf: delivery.updatesBulletin)
  }
}
