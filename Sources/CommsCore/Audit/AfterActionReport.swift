import Foundation

/// An after-action report ("efterrapport", `commsd audit report`): for one
/// message, or for every message accepted in a period, who was reached, how
/// fast, over which channels and in which languages, and who could not be
/// reached and why.
///
/// People are counted, not deliveries: a person tried on several contacts
/// (fallback) is one recipient. A person is
/// - *reached* when one of their deliveries was delivered, or digested into a
///   digest that was delivered (the digest's own fallbacks included); of
///   them, those whose SMS a handset receipt confirmed and those reached on a
///   later contact (fallback) are counted too. Delivered over email means
///   the relay accepted it, over a webhook that the receiver did;
/// - *unconfirmed* when, not reached, a gateway with receipts took their
///   message and no receipt came (yet): the gateway's word only, never
///   counted as reached;
/// - *unreachable* when, not reached, their last contact died or its
///   gateway reported it undeliverable;
/// - *withdrawn* when nothing of theirs is left to try and what was left was
///   cancelled, superseded or expired;
/// - *pending* otherwise (still queued, held, sending or retrying).
///
/// Each person is in exactly one of the five, so they add up to `recipients`.
public struct AfterActionReport: Sendable, Codable, Equatable {
  /// What the report covers.
  public enum Scope: Sendable, Codable, Equatable {
    case message(String)
    /// Messages accepted from `since` (inclusive) to `until` (exclusive).
    case period(since: Date, until: Date?)
  }

  public var scope: Scope
  public var generatedAt: Date
  /// One section per message, in the order they were accepted.
  public var messages: [MessageSection]
  /// Per audience over all the messages: counts summed, percentiles over
  /// every reached person's delay. Carries no names (see the sections).
  public var totals: [AudienceFigures]
  /// The questions that came back about the message, or in the period.
  public var inquiries: InquiryFigures?
  /// Four eyes: the audiences that waited for approval, and how fast it came.
  public var approvals: ApprovalFigures?

  public init(
    scope: Scope, generatedAt: Date, messages: [MessageSection], totals: [AudienceFigures]? = nil,
    inquiries: InquiryFigures? = nil, approvals: ApprovalFigures? = nil
  ) {
    self.inquiries = inquiries
    self.approvals = approvals
    self.scope = scope
    self.generatedAt = generatedAt
    self.messages = messages
    self.totals = totals ?? AudienceFigures.totals(of: messages)
  }
}

/// One message in a report: what it was, and its figures per audience.
public struct MessageSection: Sendable, Codable, Equatable {
  public var id: String
  public var subject: String
  public var priority: String
  public var kind: String
  /// `actual`, `exercise`, `test` or `system`.
  public var mode: String
  public var sender: String
  public var acceptedAt: Date
  /// Nil until the daemon expanded the message into deliveries.
  public var plannedAt: Date?
  public var supersedes: String?
  public var supersededBy: String?
  public var cancelledAt: Date?
  public var cancelReason: String?
  public var expiresAt: Date?
  /// For a retraction: the message it withdrew; for a message: its retraction.
  public var retractionOf: String?
  public var retraction: String?
  /// In the message's own audience order (any other audience a delivery names after them).
  public var audiences: [AudienceFigures]
  /// The confirmation waves it escalated in (none when it asked for none).
  public var waves: [ConfirmationSummary.Wave] = []

  public init(
    id: String, subject: String, priority: String, kind: String, mode: String = "actual",
    sender: String, acceptedAt: Date, plannedAt: Date? = nil, audiences: [AudienceFigures]
  ) {
    self.id = id
    self.subject = subject
    self.priority = priority
    self.kind = kind
    self.mode = mode
    self.sender = sender
    self.acceptedAt = acceptedAt
    self.plannedAt = plannedAt
    self.audiences = audiences
  }
}

/// The figures of one audience (of one message, or summed over a period).
public struct AudienceFigures: Sendable, Codable, Equatable {
  public var audience: String
  /// People, each in exactly one of the five states below.
  public var recipients: Int = 0
  public var reached: Int = 0
  /// Of the reached: confirmed by a handset receipt.
  public var reachedByHandset: Int = 0
  /// Of the reached: on a later contact, after an earlier one failed.
  public var reachedByFallback: Int = 0
  /// Taken by a gateway with receipts, no receipt: not known to be reached.
  public var unconfirmed: Int = 0
  public var unreachable: Int = 0
  public var pending: Int = 0
  public var withdrawn: Int = 0
  /// Seconds from the message's acceptance to arrival, one per reached
  /// person (the first of their deliveries to arrive), ascending.
  public var delays: [Double] = []
  /// When each reached person was reached, ascending: the timeline.
  public var reachedTimes: [Date] = []
  /// Per channel: `email`, or `webhook:ENDPOINT` for each webhook endpoint.
  public var channels: [ChannelFigures] = []
  /// Per reader language.
  public var languages: [LanguageFigures] = []
  /// Who could not be reached, by recipient id.
  public var unreachablePeople: [UnreachablePerson] = []
  /// For a message that asks readers to confirm: who in this audience did,
  /// and who has not.
  public var confirmation: ConfirmationSummary?

  public init(audience: String) { self.audience = audience }

  /// The median delay (nearest rank, see `Percentile`), nil when nobody was reached.
  public var median: Double? { Percentile.nearestRank(50, of: delays) }
  /// The 95th percentile of the delay (nearest rank).
  public var p95: Double? { Percentile.nearestRank(95, of: delays) }

  /// Per audience over `sections`, in the order audiences first appear.
  public static func totals(of sections: [MessageSection]) -> [AudienceFigures] {
    var order: [String] = []
    var byAudience: [String: AudienceFigures] = [:]
    for figures in sections.flatMap(\.audiences) {
      if byAudience[figures.audience] == nil { order.append(figures.audience) }
      byAudience[figures.audience, default: AudienceFigures(audience: figures.audience)]
        .add(figures)
    }
    return order.compactMap { byAudience[$0] }
  }

  /// Adds `other`'s counts, delays, times, channels and languages (not its names).
  mutating func add(_ other: AudienceFigures) {
    recipients += other.recipients
    reached += other.reached
    reachedByHandset += other.reachedByHandset
    reachedByFallback += other.reachedByFallback
    unconfirmed += other.unconfirmed
    unreachable += other.unreachable
    pending += other.pending
    withdrawn += other.withdrawn
    delays = (delays + other.delays).sorted()
    reachedTimes = (reachedTimes + other.reachedTimes).sorted()
    for channel in other.channels {
      if let index = channels.firstIndex(where: { $0.channel == channel.channel }) {
        channels[index].deliveries += channel.deliveries
        channels[index].attempts += channel.attempts
        channels[index].delivered += channel.delivered
        channels[index].dead += channel.dead
      } else {
        channels.append(channel)
      }
    }
    channels.sort { $0.channel < $1.channel }
    for language in other.languages {
      if let index = languages.firstIndex(where: { $0.language == language.language }) {
        languages[index].recipients += language.recipients
        languages[index].reached += language.reached
      } else {
        languages.append(language)
      }
    }
    languages.sort { $0.language < $1.language }
  }
}

/// Deliveries over one channel: each delivery is one contact of one person
/// (a fallback is a second delivery); `attempts` counts the tries.
public struct ChannelFigures: Sendable, Codable, Equatable {
  /// `email`, or `webhook:ENDPOINT`.
  public var channel: String
  public var deliveries: Int = 0
  public var attempts: Int = 0
  public var delivered: Int = 0
  /// Failed for good on this contact (the next contact, if any, was tried).
  public var dead: Int = 0

  public init(channel: String) { self.channel = channel }
}

/// People per reader language.
public struct LanguageFigures: Sendable, Codable, Equatable {
  public var language: String
  public var recipients: Int = 0
  public var reached: Int = 0

  public init(language: String) { self.language = language }
}

/// A person whose every contact failed, and why the last one did.
public struct UnreachablePerson: Sendable, Codable, Equatable {
  public var id: String
  public var name: String
  public var contactsTried: Int
  /// The last contact: `email` or `webhook:ENDPOINT`, and its address.
  public var lastContact: String
  public var lastStatus: Int?
  public var lastError: String?

  public init(
    id: String, name: String, contactsTried: Int, lastContact: String, lastStatus: Int?,
    lastError: String?
  ) {
    // After the retention period the name and address are keyed hashes,
    // which mean nothing to a reader of the report.
    self.id = id
    self.name = KeyedHash.isPseudonym(name) ? Self.removed : name
    self.contactsTried = contactsTried
    self.lastContact =
      lastContact.contains(KeyedHash.prefix)
      ? lastContact.components(separatedBy: KeyedHash.prefix)[0] + Self.removed : lastContact
    self.lastStatus = lastStatus
    self.lastError = lastError
  }

  static let removed = "(removed after the retention period)"

  /// The reason shown: the last error, else the last status code.
  public var reason: String {
    if let lastError, KeyedHash.isPseudonym(lastError) {
      return lastStatus.map { "status \($0) (text \(Self.removed))" } ?? "text \(Self.removed)"
    }
    if let lastError, !lastError.isEmpty { return lastError }
    if let lastStatus { return "status \(lastStatus)" }
    return "ukendt"
  }
}

/// Percentiles by the nearest-rank method: the p-th percentile of n values
/// in ascending order is the value at rank ⌈p/100 · n⌉ (1-based, at least 1).
/// It is always one of the observed values, never interpolated; the median
/// (p = 50) of an even count is the lower of the two middle values.
public enum Percentile {
  public static func nearestRank(_ percent: Double, of sorted: [Double]) -> Double? {
    guard !sorted.isEmpty else { return nil }
    let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
  }
}

/// Text shared by the report's renderers: Danish, with times in Europe/Copenhagen.
public enum ReportText {
  /// An audience's confirmation figures as table cells: confirmed in time,
  /// late, not confirmed, median and 95th percentile time to confirm.
  static func confirmationCells(_ audience: String, _ summary: ConfirmationSummary) -> [String] {
    func time(_ seconds: Int?) -> String {
      seconds.map { DurationText.format(.seconds($0)) } ?? "–"
    }
    return [
      audience, String(summary.confirmed), String(summary.late),
      String(summary.notConfirmed.count + summary.unreachable.count),
      time(summary.medianSeconds), time(summary.p95Seconds),
    ]
  }

  /// A confirmation wave as table cells: number, time, target, people not
  /// confirmed then, deliveries, sent, confirmed since.
  static func waveCells(_ wave: ConfirmationSummary.Wave) -> [String] {
    [
      String(wave.number), time(wave.plannedAt), wave.target, String(wave.chased),
      String(wave.deliveries), String(wave.sent), String(wave.confirmed),
    ]
  }

  static let timeZone = TimeZone(identifier: "Europe/Copenhagen") ?? .gmt

  /// `2026-11-25 13:03:04`, local time.
  public static func time(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "da_DK")
    formatter.timeZone = timeZone
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    return formatter.string(from: date)
  }

  /// A clock time on an axis `span` seconds long, local time: `13:03:04`
  /// under ten minutes, `13:03` under a day, else `25/11 13:03`.
  static func clock(_ date: Date, span: Double) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "da_DK")
    formatter.timeZone = timeZone
    formatter.dateFormat = span < 600 ? "HH:mm:ss" : span < 86_400 ? "HH:mm" : "d/M HH:mm"
    return formatter.string(from: date)
  }

  /// A delay as people read it: `0,4 s`, `42,0 s`, `3 min 07 s`, `2 t 05 min`.
  public static func duration(_ seconds: Double) -> String {
    if seconds < 60 {
      return String(format: "%.1f s", seconds).replacingOccurrences(of: ".", with: ",")
    }
    let whole = Int(seconds.rounded())
    if whole < 3600 {
      return String(format: "%d min %02d s", whole / 60, whole % 60)
    }
    return String(format: "%d t %02d min", whole / 3600, (whole % 3600) / 60)
  }

  /// `–` for a figure that does not exist (nobody reached).
  static func duration(_ seconds: Double?) -> String { seconds.map { duration($0) } ?? "–" }

  /// A share as a whole percentage: `67 %`.
  static func percent(_ part: Int, of whole: Int) -> String {
    guard whole > 0 else { return "–" }
    return "\(Int((Double(part) * 100 / Double(whole)).rounded())) %"
  }

  /// What the report covers, as a heading line.
  static func scope(_ scope: AfterActionReport.Scope) -> String {
    switch scope {
    case .message(let id): "Meddelelse \(id)"
    case .period(let since, let until):
      "Meddelelser accepteret fra \(time(since)) til \(until.map(time) ?? "nu")"
    }
  }

  /// The marks of a message's life: superseded, cancelled, an exercise.
  static func marks(_ section: MessageSection) -> [String] {
    var marks: [String] = []
    if section.mode != "actual" { marks.append(section.mode.uppercased()) }
    if let old = section.supersedes { marks.append("erstatter \(old)") }
    if let new = section.supersededBy { marks.append("ERSTATTET af \(new)") }
    if let cancelled = section.cancelledAt {
      var mark = "ANNULLERET \(time(cancelled))"
      if let reason = section.cancelReason, !reason.isEmpty { mark += ": \(reason)" }
      marks.append(mark)
    }
    if let expires = section.expiresAt { marks.append("udløber \(time(expires))") }
    if let retraction = section.retraction { marks.append("tilbagekaldt med \(retraction)") }
    if let original = section.retractionOf { marks.append("tilbagekalder \(original)") }
    if section.plannedAt == nil { marks.append("ikke planlagt endnu") }
    return marks
  }
}
