import Foundation

/// An operator's body for any other gateway: a Mustache file (`body_file`)
/// over the audience templates' variables plus `contact`, `delivery_id`,
/// `message_id`, `text`, `title` and `segments`, sent with `content_type`.
/// Every value is escaped for the content type, so a quote or an ampersand
/// in a message cannot break the gateway's JSON or form: in a JSON template
/// a value goes between the template's own quotes (`"to": "{{contact}}"`).
/// `text = "sms"` makes `text` the SMS text and contacts phone numbers.
public struct TemplateFormat: Sendable, Hashable {
  public enum ContentType: String, Sendable, CaseIterable {
    case json = "application/json"
    case form = "application/x-www-form-urlencoded"
  }

  public enum Text: String, Sendable {
    /// `text` is the rendered body (email-like readers: chat, intranet).
    case full
    /// `text` is the SMS text (see `SMSText`).
    case sms
  }

  /// The template's text as configured (what makes two formats equal).
  public let source: String
  public let kind: ContentType
  public let text: Text
  let part: TemplatePart

  /// Compiles `source`; `file` names it in errors. A JSON template must
  /// render valid JSON, checked with sample values.
  public init(source: String, file: String, contentType: ContentType, text: Text)
    throws(TemplateError)
  {
    self.source = source
    self.kind = contentType
    self.text = text
    self.part = try TemplatePart(source, part: file, forEndpoint: true)
    if contentType == .json {
      let sample = Self.sampleContext()
      let rendered = part.render(
        TemplateValues(sample, formattingSentAt: true, escape: Self.escaper(.json)))
      if (try? JSONSerialization.jsonObject(with: Data(rendered.utf8), options: [.fragmentsAllowed]))
        == nil
      {
        throw TemplateError(
          part: file,
          message:
            "does not render valid JSON (a value belongs between the template's own quotes, e.g. \"to\": \"{{contact}}\")"
        )
      }
    }
  }

  public var contentType: String { kind.rawValue }

  public static func == (left: TemplateFormat, right: TemplateFormat) -> Bool {
    left.source == right.source && left.kind == right.kind && left.text == right.text
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(source)
    hasher.combine(kind)
    hasher.combine(text)
  }

  func body(_ input: FormatInput) -> [UInt8] {
    var context = DeliveryContent.context(input.delivery, input.message, audience: input.audience)
    context.delivery = DeliveryValues(
      contact: input.address, deliveryID: input.delivery.id.rawValue,
      messageID: input.message.id.rawValue,
      text: text == .sms ? input.sms?.text ?? "" : input.rendered.body,
      title: input.rendered.subject, segments: input.sms?.segments.count ?? 0)
    let values = TemplateValues(context, formattingSentAt: true, escape: Self.escaper(kind))
    return Array(part.render(values).utf8)
  }

  static func escaper(_ kind: ContentType) -> @Sendable (String) -> String {
    switch kind {
    case .json:
      return { JSONWriter.escaped($0) }
    case .form:
      return { FormEncoding.escape($0) }
    }
  }

  /// Values for checking a template when it is loaded.
  static func sampleContext() -> RenderContext {
    var context = RenderContext(
      subject: "Vand \"afbrudt\" & <kogt>", body: "Linje 1\nLinje 2", audience: "Personale",
      audienceKey: "staff", bulletin: 12, kind: .alert, priority: .urgent, language: "da",
      recipientName: "Mette", sentAt: Date(timeIntervalSince1970: 1_764_000_000), isUpdateOf: 11)
    context.delivery = DeliveryValues(
      contact: "+4520000002", deliveryID: "dlv_sample", messageID: "msg_sample",
      text: "Vand afbrudt\nKog vandet", title: "[Personale #12] Vand afbrudt", segments: 1)
    return context
  }
}
