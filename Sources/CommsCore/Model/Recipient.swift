/// A person or a system that receives messages: name, audiences, contacts in
/// order of preference, language and time zone.
public struct Recipient: Sendable, Hashable {
  public var id: String
  public var name: String
  public var audiences: [String]
  /// In order of preference; a delivery that fails for good falls back to the next.
  public var contacts: [Contact]
  public var language: String
  public var timeZone: String
  /// Free attributes from the recipient list, e.g. `unit` (the care home or
  /// school) and `role`; messages can be targeted by them.
  public var attributes: [String: String]

  public init(
    id: String, name: String, audiences: [String], contacts: [Contact],
    language: String, timeZone: String = "Europe/Copenhagen", attributes: [String: String] = [:]
  ) {
    self.id = id
    self.name = name
    self.audiences = audiences
    self.contacts = contacts
    self.language = language
    self.timeZone = timeZone
    self.attributes = attributes
  }
}
