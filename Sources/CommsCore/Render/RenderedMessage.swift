/// What one reader receives: a one-line subject and a plain-text body.
public struct RenderedMessage: Sendable, Equatable {
  /// One line: no CR, LF or tab, no leading or trailing space.
  public var subject: String
  public var body: String

  public init(subject: String, body: String) {
    self.subject = subject
    self.body = body
  }
}
