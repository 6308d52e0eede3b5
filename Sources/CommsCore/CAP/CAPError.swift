/// Why a CAP document was refused: the element that is wrong, what is wrong
/// with it, and where, so that the sender of a bad feed can fix it.
///
///     alert/info[2]/urgency: "Soon" is not one of Immediate, Expected, Future, Past, Unknown (line 14)
///     alert/references: required when msgType is Update (line 2)
public struct CAPError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The element path, repeatable elements counted from 1
  /// (`alert/info[2]/area[1]/polygon[1]`); empty when the document as a
  /// whole is refused (too large, not UTF-8, not XML).
  public let path: String
  public let message: String
  /// The line of the element (or of the XML error), when the parser knew it.
  public let line: Int?

  init(_ path: String, _ message: String, line: Int? = nil) {
    self.path = path
    self.message = message
    self.line = line.flatMap { $0 > 0 ? $0 : nil }
  }

  public var description: String {
    let located = line.map { "\(message) (line \($0))" } ?? message
    return path.isEmpty ? located : "\(path): \(located)"
  }
}
