/// Who asked for a message to be sent, and from where; kept with the message
/// and in the audit log.
public struct Sender: Sendable, Codable, Hashable, CustomStringConvertible {
  /// How the message came in.
  public enum Kind: String, Sendable, Codable {
    case cli, api, cap
    /// A person signed in to the web console.
    case console
    /// commsd itself, e.g. a digest it composed.
    case system
  }

  public var kind: Kind
  /// The person or token name, e.g. the operator's login name.
  public var name: String
  /// Where the request came from: a host name or a client address.
  public var origin: String

  public init(kind: Kind, name: String, origin: String) {
    self.kind = kind
    self.name = name
    self.origin = origin
  }

  public var description: String { "\(kind.rawValue):\(name)@\(origin)" }
}
