import Foundation

/// A Slack incoming-webhook message: `text` (what notifications show, and
/// the whole message where blocks are not shown) and `blocks`: a header
/// with the subject, the body in sections of at most 3,000 characters, and
/// audience, bulletin and kind as context. `&`, `<` and `>` are escaped as
/// Slack asks. A header holds at most 150 characters: a longer subject is
/// shortened there with "…", and stays whole in `text`. The URL is the
/// credential. (docs/providers/REFERENCE.md §4)
enum SlackFormat {
  struct Message: Encodable {
    var text: String
    var blocks: [Block]
  }

  struct Text: Encodable {
    var type: String
    var text: String
  }

  struct Block: Encodable {
    var type: String
    var text: Text?
    var elements: [Text]?
  }

  static let headerLimit = 150
  static let sectionLimit = 3000
  static let blockLimit = 50

  static func body(_ input: FormatInput) -> [UInt8] {
    let heading = escape(input.heading)
    var blocks = [
      Block(
        type: "header", text: Text(type: "plain_text", text: shortened(heading, to: headerLimit)))
    ]
    for section in sections(escape(input.rendered.body)).prefix(blockLimit - 2) {
      blocks.append(Block(type: "section", text: Text(type: "mrkdwn", text: section)))
    }
    blocks.append(
      Block(type: "context", elements: [Text(type: "mrkdwn", text: escape(input.context))]))
    let text = escape("\(input.heading)\n\n\(input.rendered.body)")
    return ProviderAnswer.json(Message(text: text, blocks: blocks))
  }

  /// Slack's control characters as entities (`&` first).
  static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }

  static func shortened(_ text: String, to limit: Int) -> String {
    text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
  }

  /// `body` in pieces of at most `sectionLimit` characters, split at
  /// paragraph or line breaks where it can be (a paragraph longer than a
  /// section is split at a space, or hard).
  static func sections(_ body: String) -> [String] {
    var pieces: [String] = []
    var current = ""
    for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
      var line = String(line)
      while line.count > sectionLimit {
        let head = line.prefix(sectionLimit)
        let cut = head.lastIndex(of: " ").map { head[..<$0] } ?? head
        if !current.isEmpty { pieces.append(current) }
        current = ""
        pieces.append(String(cut))
        line = String(line.dropFirst(cut.count)).trimmingCharacters(in: .whitespaces)
      }
      let joined = current.isEmpty ? line : current + "\n" + line
      if joined.count > sectionLimit {
        pieces.append(current)
        current = line
      } else {
        current = joined
      }
    }
    if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { pieces.append(current) }
    return pieces.isEmpty ? [" "] : pieces
  }

  /// Slack answers errors as a short text (`invalid_payload`,
  /// `channel_not_found`, `channel_is_archived`, `action_prohibited`,
  /// `rollup_error`, `no_service`): it joins the reason. 429 with
  /// `Retry-After` and 5xx are worth another try by the common rule.
  static func classify(_ response: CurlResponse, common: AttemptResult) -> AttemptResult {
    ProviderAnswer.explained(common, ProviderAnswer.text(response.body))
  }
}
