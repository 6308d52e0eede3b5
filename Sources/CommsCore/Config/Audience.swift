/// A named group of recipients (`staff`, `relatives`, `council`, `police`, or
/// any the operator defines).
public struct Audience: Sendable, Hashable {
  /// The key used on the command line and in recipient lists.
  public var name: String
  /// How the audience is named to readers, e.g. `Personale`.
  public var displayName: String

  public init(name: String, displayName: String) {
    self.name = name
    self.displayName = displayName
  }
}
