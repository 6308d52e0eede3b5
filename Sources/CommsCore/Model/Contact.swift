/// One way to reach a recipient.
///
/// In configuration a contact is written as a string: a plain email address
/// (`mette@kommune.example`, or `mailto:mette@kommune.example`), or
/// `ENDPOINT:ADDRESS` naming a configured webhook endpoint and the address the
/// endpoint needs, e.g. `sms:+4512345678` for an SMS gateway or
/// `intranet:mette` for the intranet's notification hook.
public enum Contact: Sendable, Hashable, CustomStringConvertible {
  case email(address: String)
  case webhook(endpoint: String, address: String)

  public var channel: Channel {
    switch self {
    case .email: .email
    case .webhook: .webhook
    }
  }

  /// The address part: an email address, or what the endpoint is given.
  public var address: String {
    switch self {
    case .email(let address): address
    case .webhook(_, let address): address
    }
  }

  /// The string form used in configuration and storage.
  public var description: String {
    switch self {
    case .email(let address): address
    case .webhook(let endpoint, let address): "\(endpoint):\(address)"
    }
  }
}
