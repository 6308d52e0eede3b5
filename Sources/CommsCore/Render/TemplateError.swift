/// A template in an audience's configuration that cannot be used: which part
/// it is (`subject`, `header`, `footer`, `signature`, or e.g. `footer[en]`
/// for a translation) and what is wrong with it, in words an operator can act
/// on, e.g. `footer[en]: unclosed section "updates_bulletin"`.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The part of the template, e.g. `header` or `footer[en]`.
  public var part: String
  /// What is wrong, and where in the part when that helps.
  public var message: String

  public init(part: String, message: String) {
    self.part = part
    self.message = message
  }

  public var description: String { "\(part): \(message)" }
}
