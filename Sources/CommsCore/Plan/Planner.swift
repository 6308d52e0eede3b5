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
    var deliveries: [Delivery] = []
    let perAudience = plan(
      message, directory: directory, policies: policies, history: history, at: now,
      using: &generator
    ) { deliveries.append($0) }
    return Plan(messageID: message.id, deliveries: deliveries, recipientsPerAudience: perAudience)
  }

  /// The same plan, handed to `add` one delivery at a time as it is made;
  /// returns the recipients per audience.
  public func plan<Failure: Error>(
    _ message: Message, directory: RecipientDirectory, policies: [String: DosingPolicy] = [:],
    history: DosingHistory = DosingHistory(), at now: Date,
    using generator: inout some RandomNumberGenerator,
    into add: (Delivery) throws(Failure) -> Void
  ) throws(Failure) -> [String: Int] {
    var zones: [String: TimeZone] = [:]
    // Only a message to several audiences can meet the same person twice.
    var seen = Set<String>()
    let checkSeen = message.audiences.count > 1
    var perAudience: [String: Int] = [:]
    for audience in message.audiences {
      var count = 0
      for recipient in directory.lazyMembers(of: audience, matching: message.filter)
      where !checkSeen || seen.insert(recipient.id).inserted {
        guard !recipient.contacts.isEmpty else { continue }
        let zone = zones[recipient.timeZone] ?? Self.timeZone(recipient.timeZone)
        zones[recipient.timeZone] = zone
        try add(
          placed(
            message, to: recipient, contactIndex: 0, audience: audience,
            policy: policies[audience] ?? .none, timeZone: zone,
            history: history.of(recipient.id, in: audience), at: now, using: &generator))
        count += 1
      }
      perAudience[audience] = count
    }
    return perAudience
  }

  /// A new delivery of `message` to `recipient` over their contact
  /// `contactIndex`, in their language, placed by Dose under `policy` (a
  /// plan's deliveries and an escalation wave's alike).
  public func placed(
    _ message: Message, to recipient: Recipient, contactIndex: Int, audience: String,
    policy: DosingPolicy, timeZone: TimeZone, history: RecipientHistory, at now: Date,
    using generator: inout some RandomNumberGenerator
  ) -> Delivery {
    var delivery = Delivery(
      id: DeliveryID(rawValue: ULID.make("dlv_", at: now, using: &generator)),
      messageID: message.id, recipientID: recipient.id, recipientName: recipient.name,
      audience: audience, contact: recipient.contacts[contactIndex], contactIndex: contactIndex,
      contacts: recipient.contacts, language: message.content(for: recipient.language).language,
      priority: message.priority, state: .queued, dueAt: now, createdAt: now)
    dosing.place(&delivery, policy: policy, timeZone: timeZone, now: now, history: history)
    return delivery
  }

  /// A recipient's time zone by its identifier; Copenhagen's when unknown.
  static func timeZone(_ identifier: String) -> TimeZone {
    TimeZone(identifier: identifier) ?? TimeZone(identifier: "Europe/Copenhagen") ?? .gmt
  }

  /// A plan made inside the store's transaction (see `StreamedPlan`).
  public func streamed(
    _ message: Message, directory: RecipientDirectory, policies: [String: DosingPolicy] = [:],
    history: DosingHistory = DosingHistory(), at now: Date
  ) -> StreamedPlan {
    StreamedPlan(messageID: message.id) { add in
      // Two random values per delivery id: fetched in bulk (see `BufferedRandom`).
      var generator = BufferedRandom()
      return try plan(
        message, directory: directory, policies: policies, history: history, at: now,
        using: &generator, into: add)
    }
  }
}
