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

  enum CodingKeys: String, CodingKey {
    case deadline, confirmed, late, unreachable
    case notConfirmed = "not_confirmed"
    case byWay = "by_way"
    case medianSeconds = "median_seconds"
    case p95Seconds = "p95_seconds"
    case responsesNeeded = "responses_needed"
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
