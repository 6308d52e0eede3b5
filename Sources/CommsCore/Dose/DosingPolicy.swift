import Foundation

/// How an audience's messages are dosed: when they may arrive, how many a
/// person gets, and whether they are gathered into a digest.
///
/// Which priorities each rule touches (issue: rate dosing):
/// - `flash` is never held, capped or digested.
/// - `urgent` is not capped or digested, but waits out quiet hours unless
///   `urgentInQuietHours` (the police audience has no quiet hours at all).
/// - `normal` and `bulk` get every rule.
public struct DosingPolicy: Sendable, Hashable {
  /// Nil: no quiet hours (e.g. the police).
  public var quietHours: QuietHours?
  /// Whether urgent messages may arrive during quiet hours.
  public var urgentInQuietHours: Bool
  /// At most this many normal/bulk messages per person per `capWindow`;
  /// what is over waits for the next digest slot (or for the window to free).
  public var cap: Int?
  public var capWindow: Duration
  /// Local times (minutes after midnight) at which held normal/bulk messages
  /// go out together as one situation report per person.
  public var digestSlots: [Int]
  /// The least time between two messages to the same person.
  public var minimumGap: Duration?

  public init(
    quietHours: QuietHours? = .standard, urgentInQuietHours: Bool = false, cap: Int? = nil,
    capWindow: Duration = .seconds(86_400), digestSlots: [Int] = [], minimumGap: Duration? = nil
  ) {
    self.quietHours = quietHours
    self.urgentInQuietHours = urgentInQuietHours
    self.cap = cap
    self.capWindow = capWindow
    self.digestSlots = digestSlots.sorted()
    self.minimumGap = minimumGap
  }

  /// The default: quiet hours 22:00–07:00, nothing else.
  public static let standard = DosingPolicy()

  /// No dosing at all: everything goes at once.
  public static let none = DosingPolicy(quietHours: nil)
}

/// Why a delivery waits.
public enum HoldReason: String, Sendable, Codable, CaseIterable {
  /// Whether the delivery is gathered into a digest at its release time
  /// rather than sent by itself.
  public var isDigested: Bool { self == .digest || self == .capToDigest }

  case quietHours = "quiet hours"
  case cap = "cap reached"
  /// Over the cap: goes out in the next digest, with the others held for it.
  case capToDigest = "cap reached; in the next digest"
  case digest = "digest"
  case minimumGap = "minimum gap"
  /// The recipient's copy of the message this one supersedes is in flight:
  /// its outcome decides whether this one is marked as an update.
  case predecessor = "previous message in flight"
}

/// What Dose decided for one delivery.
public enum DosingDecision: Sendable, Equatable {
  case sendAt(Date)
  case hold(HoldReason, until: Date)
}

/// What Dose needs to know about a person's recent messages.
public struct RecipientHistory: Sendable, Equatable {
  /// Normal/bulk deliveries to this person in the audience within the cap
  /// window (sent, sending or scheduled), oldest first.
  public var dosedInWindow: [Date]
  /// When the person last got (or is next due to get) any message.
  public var lastMessageAt: Date?

  public init(dosedInWindow: [Date] = [], lastMessageAt: Date? = nil) {
    self.dosedInWindow = dosedInWindow
    self.lastMessageAt = lastMessageAt
  }
}

/// Recent messages of many people, as the store reports them before a plan.
public struct DosingHistory: Sendable {
  /// Normal/bulk messages per audience and person within the cap window.
  public var dosed: [String: [String: [Date]]]
  /// The latest message per person, any audience.
  public var latest: [String: Date]

  public init(dosed: [String: [String: [Date]]] = [:], latest: [String: Date] = [:]) {
    self.dosed = dosed
    self.latest = latest
  }

  public func of(_ recipient: String, in audience: String) -> RecipientHistory {
    RecipientHistory(
      dosedInWindow: dosed[audience]?[recipient] ?? [], lastMessageAt: latest[recipient])
  }
}
