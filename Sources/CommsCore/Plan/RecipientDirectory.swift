/// Everyone commsd can reach, indexed by audience. An immutable snapshot:
/// a reload builds a new one, and a plan uses one snapshot throughout.
public struct RecipientDirectory: Sendable {
  public let recipients: [Recipient]
  private let byAudience: [String: [Int]]
  /// Attribute names that appear in the directory, for checking `--where`
  /// keys. Worked out once: every intake asks, and the directory may hold
  /// 100,000 people.
  public let attributeNames: Set<String>

  public init(_ recipients: [Recipient]) {
    self.recipients = recipients
    var byAudience: [String: [Int]] = [:]
    var attributeNames = Set<String>()
    for (index, recipient) in recipients.enumerated() {
      for audience in recipient.audiences { byAudience[audience, default: []].append(index) }
      for name in recipient.attributes.keys { attributeNames.insert(name) }
    }
    self.byAudience = byAudience
    self.attributeNames = attributeNames
  }

  /// Members of `audience`, in directory order.
  public func members(of audience: String) -> [Recipient] {
    (byAudience[audience] ?? []).map { recipients[$0] }
  }

  /// Members of `audience` that match `filter`.
  public func members(of audience: String, matching filter: RecipientFilter) -> [Recipient] {
    members(of: audience).filter(filter.matches)
  }

  /// Members of `audience` that match `filter`, without copying them out.
  public func lazyMembers(
    of audience: String, matching filter: RecipientFilter
  ) -> some Sequence<Recipient> {
    (byAudience[audience] ?? []).lazy.map { recipients[$0] }.filter(filter.matches)
  }

  /// Whether anyone in `audience` matches `filter`; stops at the first.
  public func hasMember(of audience: String, matching filter: RecipientFilter) -> Bool {
    (byAudience[audience] ?? []).contains { filter.matches(recipients[$0]) }
  }
}
