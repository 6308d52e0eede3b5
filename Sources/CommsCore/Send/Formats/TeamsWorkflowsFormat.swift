import Foundation

/// An Adaptive Card posted to a Teams Workflows URL ("Post to a channel when
/// a webhook request is received"), in the message envelope Microsoft's
/// documentation shows: `{"type": "message", "attachments": [{"contentType":
/// "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content":
/// {AdaptiveCard 1.2}}]}`. The card: the subject as a large bold heading
/// (with `[ØVELSE]` first for an exercise), the body as the reader's
/// template made it, and audience, bulletin and kind in small print. Text
/// blocks wrap (their default clips). The URL is the credential.
/// (docs/providers/REFERENCE.md §3)
enum TeamsWorkflowsFormat {
  struct Envelope: Encodable {
    var type = "message"
    var attachments: [Attachment]
  }

  struct Attachment: Encodable {
    var contentType = "application/vnd.microsoft.card.adaptive"
    var content: Card

    enum CodingKeys: String, CodingKey { case contentType, contentUrl, content }

    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(contentType, forKey: .contentType)
      try container.encodeNil(forKey: .contentUrl)
      try container.encode(content, forKey: .content)
    }
  }

  struct Card: Encodable {
    var schema = "http://adaptivecards.io/schemas/adaptive-card.json"
    var type = "AdaptiveCard"
    var version = "1.2"
    var body: [TextBlock]

    enum CodingKeys: String, CodingKey {
      case schema = "$schema"
      case type, version, body
    }
  }

  struct TextBlock: Encodable {
    var type = "TextBlock"
    var text: String
    var size: String?
    var weight: String?
    var isSubtle: Bool?
    var wrap = true
  }

  static func body(_ input: FormatInput) -> [UInt8] {
    let card = Card(body: [
      TextBlock(text: input.heading, size: "Large", weight: "Bolder"),
      TextBlock(text: input.rendered.body),
      TextBlock(text: input.context, size: "Small", isSubtle: true),
    ])
    return ProviderAnswer.json(Envelope(attachments: [Attachment(content: card)]))
  }
}
