/// Why a message was refused. Each case names the field that was wrong.
public struct IntakeError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The input field, e.g. `subject`, `audience`, `body[en]`.
  public var field: String
  public var message: String

  public init(field: String, _ message: String) {
    self.field = field
    self.message = message
  }

  public var description: String { "\(field): \(message)" }
}
