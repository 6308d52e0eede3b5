/// Everyone commsd can reach, indexed by audience. An immutable snapshot:
/// a reload builds a new one, and a plan uses one snapshot throughout.
public struct RecipientDirectory: Sendable {
  public let recipients: [Recipient]
  private let byAudience: [String: [Int]]

  public init(_ recipients: [Recipient]) {
    self.recipients = recipients
    var byAudience: [String: [Int]] = [:]
    for (index, recipient) in recipients.enumerated() {
      for audience in recipient.audiences { byAudience[audience, default: []].append(index) }
    }
    self.byAudience = byAudience
  }

  /// Members of `audience`, in directory order.
  public func members(of audience: String) -> [Recipient] {
    (byAudience[audience] ?? []).map { recipients[$0] }
  }

  /// Members of `audience` that match `filter`.
  public func members(of audience: String, matching filter: RecipientFilter) -> [Recipient] {
    members(of: audience).filter(filter.matches)
  }

  /// Attribute names that appear in the directory, for checking `--where` keys.
  public var attributeNames: Set<String> {
    Set(recipients.flatMap(\.attributes.keys))
  }
}
