import Foundation

/// One `<info>` block of a CAP alert: the event in one language. An alert in
/// several languages carries one info per language.
public struct CAPInfo: Sendable, Hashable {
  /// An RFC 3066 language tag; the standard's default when absent is "en-US".
  public var language: String
  /// At least one.
  public var categories: [CAPCategory]
  /// The type of event, as text ("Severe Thunderstorm").
  public var event: String
  public var responseTypes: [CAPResponseType]
  public var urgency: CAPUrgency
  public var severity: CAPSeverity
  public var certainty: CAPCertainty
  public var audience: String?
  /// System-specific event codes, e.g. SAME "SVR".
  public var eventCodes: [CAPNamedValue]
  public var effective: Date?
  public var onset: Date?
  public var expires: Date?
  public var senderName: String?
  public var headline: String?
  public var description: String?
  public var instruction: String?
  public var web: String?
  public var contact: String?
  public var parameters: [CAPNamedValue]
  public var resources: [CAPResource]
  public var areas: [CAPArea]

  public init(
    language: String = "en-US", categories: [CAPCategory], event: String,
    responseTypes: [CAPResponseType] = [], urgency: CAPUrgency, severity: CAPSeverity,
    certainty: CAPCertainty, audience: String? = nil, eventCodes: [CAPNamedValue] = [],
    effective: Date? = nil, onset: Date? = nil, expires: Date? = nil,
    senderName: String? = nil, headline: String? = nil, description: String? = nil,
    instruction: String? = nil, web: String? = nil, contact: String? = nil,
    parameters: [CAPNamedValue] = [], resources: [CAPResource] = [], areas: [CAPArea] = []
  ) {
    self.language = language
    self.categories = categories
    self.event = event
    self.responseTypes = responseTypes
    self.urgency = urgency
    self.severity = severity
    self.certainty = certainty
    self.audience = audience
    self.eventCodes = eventCodes
    self.effective = effective
    self.onset = onset
    self.expires = expires
    self.senderName = senderName
    self.headline = headline
    self.description = description
    self.instruction = instruction
    self.web = web
    self.contact = contact
    self.parameters = parameters
    self.resources = resources
    self.areas = areas
  }
}

/// A `valueName`/`value` pair, the form of `<eventCode>`, `<parameter>` and
/// `<geocode>`.
public struct CAPNamedValue: Sendable, Hashable {
  public var valueName: String
  public var value: String

  public init(valueName: String, value: String) {
    self.valueName = valueName
    self.value = value
  }
}

/// A `<resource>`: a file that goes with the info (an image, a map). Kept so
/// that nothing is lost in a round trip; commsd does not fetch them.
public struct CAPResource: Sendable, Hashable {
  public var resourceDesc: String
  public var mimeType: String
  /// In bytes.
  public var size: Int?
  public var uri: String?
  /// The content itself, base64, when it travels inside the alert.
  public var derefUri: String?
  /// SHA-1 of the content, hex.
  public var digest: String?

  public init(
    resourceDesc: String, mimeType: String, size: Int? = nil, uri: String? = nil,
    derefUri: String? = nil, digest: String? = nil
  ) {
    self.resourceDesc = resourceDesc
    self.mimeType = mimeType
    self.size = size
    self.uri = uri
    self.derefUri = derefUri
    self.digest = digest
  }
}

/// `<category>`.
public enum CAPCategory: String, Sendable, Hashable, CaseIterable {
  case geo = "Geo"
  case met = "Met"
  case safety = "Safety"
  case security = "Security"
  case rescue = "Rescue"
  case fire = "Fire"
  case health = "Health"
  case env = "Env"
  case transport = "Transport"
  case infra = "Infra"
  case cbrne = "CBRNE"
  case other = "Other"
}

/// `<responseType>`: the action recommended to the audience.
public enum CAPResponseType: String, Sendable, Hashable, CaseIterable {
  case shelter = "Shelter"
  case evacuate = "Evacuate"
  case prepare = "Prepare"
  case execute = "Execute"
  case avoid = "Avoid"
  case monitor = "Monitor"
  case assess = "Assess"
  case allClear = "AllClear"
  /// CAP's "None": no action recommended. Not named `none`, which would be
  /// confused with `Optional.none`.
  case noAction = "None"
}

/// `<urgency>`: how soon to act.
public enum CAPUrgency: String, Sendable, Hashable, CaseIterable {
  case immediate = "Immediate"
  case expected = "Expected"
  case future = "Future"
  case past = "Past"
  case unknown = "Unknown"
}

/// `<severity>`: how bad it is.
public enum CAPSeverity: String, Sendable, Hashable, CaseIterable {
  case extreme = "Extreme"
  case severe = "Severe"
  case moderate = "Moderate"
  case minor = "Minor"
  case unknown = "Unknown"
}

/// `<certainty>`: how sure the sender is. The reader also takes CAP 1.0's
/// "Very Likely", which CAP 1.2 still asks receivers to treat as Likely; the
/// writer then writes "Likely".
public enum CAPCertainty: String, Sendable, Hashable, CaseIterable {
  case observed = "Observed"
  case likely = "Likely"
  case possible = "Possible"
  case unlikely = "Unlikely"
  case unknown = "Unknown"
}
