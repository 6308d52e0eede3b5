/// Everyone commsd can reach, indexed by audience. An immutable snapshot:
/// a reload builds a new one, and a plan uses one snapshot throughout.
public struct RecipientDirectory: Sendable {
  public let recipients: [Recipient]
  private let byAudience: [String: [Int]]
  /// Attribute names that appear in the directory, for checking `--where`
  /// keys. Worked out once: every intake asks, and the directory may hold
  /// 100,000 people.
  public let attributeNames: Set<String>
  /// The endpoints each audience's members have contacts on, with the
  /// members' languages, so intake can tell at once whether (and in which
  /// languages) an audience has SMS readers at all.
  private let endpointsByAudience: [String: Set<EndpointReader>]

  /// Some member reads in `language` through a contact on `endpoint`.
  public struct EndpointReader: Sendable, Hashable {
    public var endpoint: String
    public var language: String
  }

  public init(_ recipients: [Recipient]) {
    self.recipients = recipients
    var byAudience: [String: [Int]] = [:]
    var attributeNames = Set<String>()
    var endpointsByAudience: [String: Set<EndpointReader>] = [:]
    for (index, recipient) in recipients.enumerated() {
      let endpoints = Set(
        recipient.contacts.compactMap(\.endpointName).map {
          EndpointReader(endpoint: $0, language: recipient.language)
        })
      for audience in recipient.audiences {
        byAudience[audience, default: []].append(index)
        if !endpoints.isEmpty { endpointsByAudience[audience, default: []].formUnion(endpoints) }
      }
      for name in recipient.attributes.keys { attributeNames.insert(name) }
    }
    self.byAudience = byAudience
    self.attributeNames = attributeNames
    self.endpointsByAudience = endpointsByAudience
  }

  /// The endpoints (by name) that members of `audience` have contacts on,
  /// each with the languages of the members who do.
  public func endpointReaders(of audience: String) -> Set<EndpointReader> {
    endpointsByAudience[audience] ?? []
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

extension RecipientDirectory {
  /// The first person with `id`. A scan: asked once per question that comes
  /// back (rare next to planning), so the directory keeps no index for it.
  public func recipient(id: String) -> Recipient? {
    recipients.first { $0.id == id }
  }

  /// The first person with a contact at `address` (an email address in any
  /// case, or a phone number as the gateway writes it, E.164), preferring a
  /// contact on `endpoint` when given. A scan, as `recipient(id:)`.
  public func recipient(reachedAt address: String, endpoint: String? = nil) -> Recipient? {
    let wanted = address.lowercased()
    var anyEndpoint: Recipient?
    for recipient in recipients {
      for contact in recipient.contacts where contact.address.lowercased() == wanted {
        if endpoint == nil || contact.endpointName == endpoint { return recipient }
        if anyEndpoint == nil { anyEndpoint = recipient }
      }
    }
    return anyEndpoint
  }
}
