import Foundation

/// The second stage: expands a message's audiences into one delivery per
/// person, over that person's preferred contact, in their language.
///
/// A person in two of the message's audiences gets one copy, attributed to the
/// first of those audiences the sender named. The message's filter (e.g.
/// `unit=solgaarden`) narrows every audience.
public struct Planner: Sendable {
  public let dosing: Dosing

  public init(dosing: Dosing) {
    self.dosing = dosing
  }

  /// The deliveries for `message`, each already placed by Dose under its
  /// audience's policy (`policies`, default: no dosing) and the person's
  /// recent messages (`history`).
  public func plan(
    _ message: Message, directory: RecipientDirectory, policies: [String: DosingPolicy] = [:],
    history: DosingHistory = DosingHistory(), at now: Date,
    using generator: inout some RandomNumberGenerator
  ) -> Plan {
    var zones: [String: TimeZone] = [:]
    var seen = Set<String>()
    var deliveries: [Delivery] = []
    var perAudience: [String: Int] = [:]
    for audience in message.audiences {
      var count = 0
      for recipient in directory.members(of: audience, matching: message.filter)
      where seen.insert(recipient.id).inserted {
        guard let contact = recipient.contacts.first else { continue }
        let language = message.content(for: recipient.language).language
        var delivery = Delivery(
          id: DeliveryID(rawValue: "dlv_" + ULID.make(at: now, using: &generator)),
          messageID: message.id, recipientID: recipient.id, recipientName: recipient.name,
          audience: audience, contact: contact, contactIndex: 0, contacts: recipient.contacts,
          language: language,
          priority: message.priority, state: .queued, dueAt: now, createdAt: now)
        let zone =
          zones[recipient.timeZone]
          ?? TimeZone(identifier: recipient.timeZone) ?? TimeZone(identifier: "Europe/Copenhagen")!
        zones[recipient.timeZone] = zone
        dosing.place(
          &delivery, policy: policies[audience] ?? .none, timeZone: zone, now: now,
          history: history.of(recipient.id, in: audience))
        deliveries.append(delivery)
        count += 1
      }
      perAudience[audience] = count
    }
    return Plan(
      messageID: message.id, deliveries: deliveries,
      recipientsPerAudience: perAudience)
  }
}
