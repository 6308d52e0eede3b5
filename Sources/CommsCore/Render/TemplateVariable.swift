/// The names a template may use, and nothing else: a name outside this list
/// (a typo such as `{{buletin}}`) is rejected when the template is loaded
/// rather than rendering as nothing in front of a reader.
///
/// | Name | Value |
/// |------|-------|
/// | `subject` | the operator's subject, in the language used |
/// | `body` | the operator's body, in the language used |
/// | `first_paragraph` | the body up to its first blank line, on one line (for `sms_format`) |
/// | `audience` | the audience's display name, e.g. `Pårørende` |
/// | `audience_key` | the audience's key, e.g. `relatives` |
/// | `bulletin` | the audience's bulletin number, e.g. `12` |
/// | `kind` | `alert`, `update`, `process` or `all-clear` |
/// | `kind_label` | the kind in the reader's language, e.g. `Varsel` (see ``KindLabels``) |
/// | `priority` | `flash`, `urgent`, `normal` or `bulk` |
/// | `language` | the language code actually used, e.g. `da` |
/// | `recipient_name` | the recipient's name |
/// | `sent_at` | the send time in Europe/Copenhagen, e.g. `25.11.2026 kl. 13:05` (see ``SendTimeText``) |
/// | `updates_bulletin` | the bulletin this message updates; absent when it updates none |
/// | `update_label` | that as words in the reader's language, e.g. `opdaterer #3`; absent when none |
///
/// An endpoint's body template (`format = "template"`) has these too:
/// `contact`, `delivery_id`, `message_id`, `text` (the SMS text, or the
/// rendered body), `title` (the rendered subject) and `segments`.
///
/// A value that is absent or empty (`updates_bulletin` on a first message, an
/// empty `recipient_name`) is false in a section, so
/// `{{#updates_bulletin}}Opdatering af #{{updates_bulletin}}{{/updates_bulletin}}`
/// and `{{^recipient_name}}Til alle{{/recipient_name}}` work as a reader expects.
public enum TemplateVariable: String, Sendable, CaseIterable {
  case subject
  case body
  case firstParagraph = "first_paragraph"
  case audience
  case audienceKey = "audience_key"
  case bulletin
  case kind
  case kindLabel = "kind_label"
  case priority
  case language
  case recipientName = "recipient_name"
  case sentAt = "sent_at"
  case updatesBulletin = "updates_bulletin"
  case updateLabel = "update_label"
  // Only in an endpoint's body template (`format = "template"`):
  case contact
  case deliveryID = "delivery_id"
  case messageID = "message_id"
  case text
  case title
  case segments

  /// The names only an endpoint's body template knows: an audience template
  /// that uses one is refused, since it would render nothing.
  static let endpointOnly: Set<TemplateVariable> = [
    .contact, .deliveryID, .messageID, .text, .title, .segments,
  ]

  /// Whether the value is a number; numbers take swift-mustache's number
  /// transforms (`plusone`, `minusone`, `even`, `odd`, `equalzero`), text
  /// takes the text ones (`uppercased`, `lowercased`, `capitalized`,
  /// `reversed`, `empty`).
  var isNumber: Bool { self == .bulletin || self == .updatesBulletin || self == .segments }

  /// The transforms swift-mustache applies to a value of this variable's type;
  /// any other would silently render nothing.
  var transforms: Set<String> {
    isNumber
      ? ["plusone", "minusone", "even", "odd", "equalzero"]
      : ["uppercased", "lowercased", "capitalized", "reversed", "empty"]
  }

  /// The known name closest to `name` when it looks like a typo of it.
  static func suggestion(for name: String) -> TemplateVariable? {
    let typed = Array(name.lowercased().unicodeScalars)
    var best: (variable: TemplateVariable, distance: Int)?
    for variable in allCases {
      let distance = editDistance(typed, Array(variable.rawValue.unicodeScalars))
      if distance <= 2, distance < (best?.distance ?? .max) { best = (variable, distance) }
    }
    return best?.variable
  }

  private static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    var previous = Array(0...b.count)
    for (i, left) in a.enumerated() {
      var current = [i + 1] + Array(repeating: 0, count: b.count)
      for (j, right) in b.enumerated() {
        current[j + 1] = min(
          previous[j + 1] + 1, current[j] + 1, previous[j] + (left == right ? 0 : 1))
      }
      previous = current
    }
    return previous[b.count]
  }
}
