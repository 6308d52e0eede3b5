import Foundation

/// An Adaptive Card posted to a Teams Workflows URL ("Post to a channel when
/// a webhook request is received"), in the message envelope Microsoft's
/// documentation shows: `{"type": "message", "attachments": [{"contentType":
/// "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content":
/// {AdaptiveCard 1.2}}]}`. The card: the subject as a large bold heading
/// (with `[ØVELSE]` first for an exercise), the body as the reader's
/// template made it, and audience, bulletin and kind in small print. Text
/// blocks wrap (their default clips). The URL is the credential. A message
/// asking for confirmation gets one `Action.OpenUrl` button to the reader's
/// confirmation page (Workflows cards support every action but
/// `Action.Submit`, which needs a bot), where the page's own button
/// confirms. (docs/providers/REFERENCE.md §3)
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
    var actions: [OpenURL]?

    enum CodingKeys: String, CodingKey {
      case schema = "$schema"
      case type, version, body, actions
    }
  }

  struct OpenURL: Encodable {
    var type = "Action.OpenUrl"
    var title: String
    var url: String
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
    let danish = input.message.content(for: input.delivery.language).language == "da"
    let card = Card(
      body: [
        TextBlock(text: input.heading, size: "Large", weight: "Bolder"),
        TextBlock(text: input.rendered.body),
        TextBlock(text: input.context, size: "Small", isSubtle: true),
      ],
      actions: input.confirmURL.map {
        [
          OpenURL(
            title: input.message.kind == .approval
              ? (danish ? "Godkend eller afvis" : "Approve or reject")
              : (danish ? "Bekræft, at du har læst den" : "Confirm you have read it"), url: $0)
        ]
      })
    return ProviderAnswer.json(Envelope(attachments: [Attachment(content: card)]))
  }
}
