import Foundation

/// Who confirmed a message that asked for it, and who has not: the answer
/// to a crisis leader's "who has not confirmed?" (`commsd status`, the API).
public struct ConfirmationSummary: Sendable, Codable, Equatable {
  /// A person as an operator finds them in the lists.
  public struct Person: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
  }

  /// When confirmations stop counting as on time.
  public var deadline: Date
  /// Confirmed by the deadline.
  public var confirmed: Int
  /// Confirmed after it.
  public var late: Int
  /// Reached or still being tried, and not confirmed: whom to chase.
  public var notConfirmed: [Person]
  /// Not confirmed, and no contact of theirs could be reached.
  public var unreachable: [Person]
  /// How many confirmations came by each way (`link`, `sms`, `teams`, `operator`).
  public var byWay: [String: Int]
  /// Time to confirm, from acceptance, over everyone who confirmed.
  public var medianSeconds: Int?
  public var p95Seconds: Int?
  /// Enough once this many confirmed (`--responses-needed`); nil: everyone.
  public var responsesNeeded: Int?
  /// The escalation waves planned so far (the message itself is wave 1).
  public var waves: [Wave] = []
  /// When the next wave is due; nil when none is (none asked, the last
  /// one planned, or stopped by a cancel, supersede, expiry or enough
  /// confirmations).
  public var nextWaveAt: Date?

  /// One escalation wave: whom it chased and what it sent.
  public struct Wave: Sendable, Codable, Equatable {
    /// 2 for the first wave after the message itself.
    public var number: Int
    public var plannedAt: Date
    /// `@deputy`, an audience's name, or `next contact`.
    public var target: String
    /// People not confirmed when it was planned.
    public var chased: Int
    /// Deliveries it made (one per deputy, member or next contact).
    public var deliveries: Int
    /// Of those, how many a receiver or gateway took (sent, delivered).
    public var sent: Int = 0
    /// Of the people it went to, how many have confirmed since.
    public var confirmed: Int = 0

    enum CodingKeys: String, CodingKey {
      case number, target, chased, deliveries, sent, confirmed
      case plannedAt = "planned_at"
    }
  }

  enum CodingKeys: String, CodingKey {
    case deadline, confirmed, late, unreachable
    case notConfirmed = "not_confirmed"
    case byWay = "by_way"
    case medianSeconds = "median_seconds"
    case p95Seconds = "p95_seconds"
    case responsesNeeded = "responses_needed"
    case waves
    case nextWaveAt = "next_wave_at"
  }

  /// `waves` with what their deliveries (among `lines`) reached: how many
  /// went out, and how many of their readers confirmed.
  static func waves(_ waves: [Wave], lines: [MessageStatus.DeliveryLine], confirmations: [Entry])
    -> [Wave]
  {
    let confirmed = Set(confirmations.map(\.person))
    return waves.map { wave in
      var wave = wave
      let mine = lines.filter { $0.wave == wave.number }
      wave.sent = mine.count { ["sent", "delivered", "unconfirmed"].contains($0.state) }
      wave.confirmed = Set(mine.map(\.recipient)).intersection(confirmed).count
      return wave
    }
  }

  /// One confirmation as read from the store.
  typealias Entry = (person: String, at: Date, way: String, late: Bool)

  /// The summary for a message accepted at `acceptedAt` asking `request`,
  /// over `people` (id → name; confirmations of anyone else are left out),
  /// those unreachable, and the confirmations.
  static func make(
    request: ConfirmationRequest, acceptedAt: Date, people: [String: String],
    unreachable: Set<String>, confirmations all: [Entry]
  ) -> ConfirmationSummary {
    let confirmations = all.filter { people[$0.person] != nil }
    let confirmedPeople = Set(confirmations.map(\.person))
    func persons(_ ids: some Sequence<String>) -> [Person] {
      ids.map { Person(id: $0, name: people[$0] ?? $0) }.sorted {
        ($0.name, $0.id) < ($1.name, $1.id)
      }
    }
    let waiting = Set(people.keys).subtracting(confirmedPeople)
    let seconds = confirmations.map { max(0, $0.at.timeIntervalSince(acceptedAt)) }.sorted()
    func percentile(_ percent: Double) -> Int? {
      Percentile.nearestRank(percent, of: seconds).flatMap {
        Int(exactly: min($0, 1e9).rounded(.down))
      }
    }
    return ConfirmationSummary(
      deadline: request.deadline(after: acceptedAt),
      confirmed: confirmations.count { !$0.late }, late: confirmations.count { $0.late },
      notConfirmed: persons(waiting.subtracting(unreachable)),
      unreachable: persons(waiting.intersection(unreachable)),
      byWay: confirmations.reduce(into: [:]) { $0[$1.way, default: 0] += 1 },
      medianSeconds: percentile(50), p95Seconds: percentile(95),
      responsesNeeded: request.responsesNeeded)
  }
}
