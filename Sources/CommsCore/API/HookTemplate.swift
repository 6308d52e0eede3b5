import Foundation
import Mustache

/// A hook source's subject or body template: Mustache over the JSON payload
/// the source sent (`{{title}}`, `{{resident.ward}}`, sections over arrays),
/// rendered as plain text (nothing HTML-escaped).
struct HookTemplate: Sendable {
  private let template: MustacheTemplate

  init(_ text: String) throws {
    template = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT }}\n" + text)
  }

  func render(_ payload: Any) -> String {
    template.render(payload)
  }
}
