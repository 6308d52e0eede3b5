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

extension Contact: Codable {
  private enum CodingKeys: String, CodingKey {
    case email, endpoint, address
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    if let email = try container.decodeIfPresent(String.self, forKey: .email) {
      self = .email(address: email)
    } else {
      self = .webhook(
        endpoint: try container.decode(String.self, forKey: .endpoint),
        address: try container.decode(String.self, forKey: .address))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .email(let address):
      try container.encode(address, forKey: .email)
    case .webhook(let endpoint, let address):
      try container.encode(endpoint, forKey: .endpoint)
      try container.encode(address, forKey: .address)
    }
  }
}

extension Contact {
  /// A contact list as stored: a JSON array of `{"email": …}` and
  /// `{"address": …, "endpoint": …}` objects (what `Codable` writes, written
  /// directly because it runs for every planned delivery).
  public static func json(_ contacts: [Contact]) -> String {
    var writer = JSONWriter(capacity: 2 + 64 * contacts.count)
    writer.beginArray()
    for contact in contacts {
      writer.beginObject()
      switch contact {
      case .email(let address):
        writer.member("email", address)
      case .webhook(let endpoint, let address):
        writer.member("address", address)
        writer.member("endpoint", endpoint)
      }
      writer.endObject()
      writer.endMember()
    }
    writer.endArray()
    return String(decoding: writer.bytes, as: UTF8.self)
  }
}
