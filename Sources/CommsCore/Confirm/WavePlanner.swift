import Foundation

/// What an escalation wave sends: for each person who has not confirmed,
/// a delivery to their deputy, to the members of a next audience, or (with
/// no target) to their own next contact. Pure: the store's wave step hands
/// it who is chased and who has confirmed, inside its transaction.
public struct WavePlanner: Sendable {
  /// A person a wave chases: not confirmed, in the message's first wave.
  public struct Chased: Sendable, Hashable {
    public var id: String
    /// The audience their first delivery was attributed to.
    public var audience: String
    /// The contact their latest delivery went to (0 = the preferred one).
    public var lastContactIndex: Int

    public init(id: String, audience: String, lastContactIndex: Int) {
      self.id = id
      self.audience = audience
      self.lastContactIndex = lastContactIndex
    }
  }

  /// What a wave step knows when it plans.
  public struct Input: Sendable {
    public var message: Message
    public var request: ConfirmationRequest
    public var wave: Int
    public var chased: [Chased]
    /// Everyone who confirmed the message, deputies included: nobody
    /// confirmed gets a wave.
    public var confirmed: Set<String>
    public var bulletins: [String: Int]
    public var now: Date
  }

  /// One delivery of a wave, with the people it chases.
  public struct Planned: Sendable {
    public var delivery: Delivery
    public var chasing: [String]
  }

  /// A wave's deliveries, and the chased people it found nobody to send to
  /// for (no deputy, a deputy not in the directory, gone from it).
  public struct Wave: Sendable {
    public var deliveries: [Planned]
    public var unsent: [String]
  }

  public let dosing: Dosing
  public let directory: RecipientDirectory
  public let policies: [String: DosingPolicy]

  public init(dosing: Dosing, directory: RecipientDirectory, policies: [String: DosingPolicy]) {
    self.dosing = dosing
    self.directory = directory
    self.policies = policies
  }

  public func plan(_ input: Input, using generator: inout some RandomNumberGenerator) -> Wave {
    switch input.request.escalateTo {
    case .deputy: return deputies(input, using: &generator)
    case .audience(let name): return audience(name, input, using: &generator)
    case nil: return nextContacts(input, using: &generator)
    }
  }

  /// Each chased person's deputy, once per deputy however many they stand in for.
  private func deputies(_ input: Input, using generator: inout some RandomNumberGenerator) -> Wave {
    let people = lookUp(Set(input.chased.map(\.id)))
    var chasingByDeputy: [String: [Chased]] = [:]
    var order: [String] = []
    var unsent: [String] = []
    for person in input.chased {
      guard let deputy = people[person.id]?.attributes[ConfirmationRequest.deputyAttribute],
        deputy != person.id, !deputy.isEmpty
      else {
        unsent.append(person.id)
        continue
      }
      if chasingByDeputy[deputy] == nil { order.append(deputy) }
      chasingByDeputy[deputy, default: []].append(person)
    }
    let deputies = lookUp(Set(order))
    var planned: [Planned] = []
    for id in order {
      let chasing = chasingByDeputy[id] ?? []
      guard let deputy = deputies[id], !deputy.contacts.isEmpty, let first = chasing.first
      else {
        unsent.append(contentsOf: chasing.map(\.id))
        continue
      }
      // A deputy who confirmed knows already: the wave is not for them.
      if input.confirmed.contains(id) { continue }
      planned.append(
        Planned(
          delivery: delivery(
            to: deputy, index: 0, audience: first.audience, input, using: &generator),
          chasing: chasing.map(\.id)))
    }
    return Wave(deliveries: planned, unsent: unsent)
  }

  /// Every member of `name` matching the message's filter who has not confirmed.
  private func audience(
    _ name: String, _ input: Input, using generator: inout some RandomNumberGenerator
  ) -> Wave {
    let chasing = input.chased.map(\.id)
    var planned: [Planned] = []
    for member in directory.lazyMembers(of: name, matching: input.message.filter)
    where !input.confirmed.contains(member.id) && !member.contacts.isEmpty {
      planned.append(
        Planned(
          delivery: delivery(to: member, index: 0, audience: name, input, using: &generator),
          chasing: chasing))
    }
    return Wave(deliveries: planned, unsent: planned.isEmpty ? chasing : [])
  }

  /// Each chased person again, on the contact after the one last tried
  /// (around to the first when that was the last).
  private func nextContacts(
    _ input: Input, using generator: inout some RandomNumberGenerator
  ) -> Wave {
    let people = lookUp(Set(input.chased.map(\.id)))
    var planned: [Planned] = []
    var unsent: [String] = []
    for person in input.chased {
      guard let recipient = people[person.id], !recipient.contacts.isEmpty else {
        unsent.append(person.id)
        continue
      }
      let count = recipient.contacts.count
      let index = person.lastContactIndex >= 0 ? (person.lastContactIndex + 1) % count : 0
      planned.append(
        Planned(
          delivery: delivery(
            to: recipient, index: index, audience: person.audience, input, using: &generator),
          chasing: [person.id]))
    }
    return Wave(deliveries: planned, unsent: unsent)
  }

  /// The people with these ids, in one pass over the directory (a wave is
  /// rare; an index of 100,000 people kept for it would not be).
  private func lookUp(_ ids: Set<String>) -> [String: Recipient] {
    guard !ids.isEmpty else { return [:] }
    var found: [String: Recipient] = [:]
    for recipient in directory.recipients where ids.contains(recipient.id) {
      found[recipient.id] = recipient
      if found.count == ids.count { break }
    }
    return found
  }

  /// A delivery of the message to `recipient` over their contact `index`,
  /// placed as a plan's are (`Planner.placed`) under `audience`'s policy: a
  /// flash or urgent wave goes at once, a normal one waits out quiet hours.
  /// No history: a wave is not capped.
  private func delivery(
    to recipient: Recipient, index: Int, audience: String, _ input: Input,
    using generator: inout some RandomNumberGenerator
  ) -> Delivery {
    var delivery = Planner(dosing: dosing).placed(
      input.message, to: recipient, contactIndex: index, audience: audience,
      policy: policies[audience] ?? .none, timeZone: Planner.timeZone(recipient.timeZone),
      history: RecipientHistory(), at: input.now, using: &generator)
    delivery.bulletin = input.bulletins[audience] ?? 0
    return delivery
  }
}
