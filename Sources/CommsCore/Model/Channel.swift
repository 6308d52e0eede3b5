/// How a delivery travels: over an SMTP relay, or to a webhook endpoint.
public enum Channel: String, Sendable, Codable, CaseIterable {
  case email
  case webhook
}
