import Foundation

/// A sender's ask that readers confirm they understood a message
/// (`commsd send --confirm`, the API's `confirm`): by when, and whom to
/// turn to after a while for those who have not.
///
/// Times are whole seconds, so the stored request (JSON in
/// `messages.confirmation`) reads back exactly.
public struct ConfirmationRequest: Sendable, Codable, Hashable {
  /// Where a wave goes for someone who has not confirmed.
  public enum EscalationTarget: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The person's deputy (the recipient attribute `deputy` names another recipient).
    case deputy
    /// Everyone in this audience (matching the message's filter).
    case audience(String)

    /// `@deputy` or the audience's name, as typed.
    public init?(parsing text: String) {
      if text == "@deputy" {
        self = .deputy
      } else if !text.isEmpty, !text.hasPrefix("@"), text.count <= 64,
        text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
      {
        self = .audience(text)
      } else {
        return nil
      }
    }

    public var description: String {
      switch self {
      case .deputy: "@deputy"
      case .audience(let name): name
      }
    }

    public init(from decoder: any Decoder) throws {
      let text = try decoder.singleValueContainer().decode(String.self)
      guard let target = Self(parsing: text) else {
        throw DecodingError.dataCorrupted(
          .init(codingPath: decoder.codingPath, debugDescription: "not an escalation target"))
      }
      self = target
    }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.singleValueContainer()
      try container.encode(description)
    }
  }

  /// How long readers have to confirm, from acceptance (`--confirm-within`);
  /// a confirmation after it is counted late.
  public var withinSeconds: Int
  /// After how long an unconfirmed person is escalated (`--escalate-after`);
  /// nil: no waves.
  public var escalateAfterSeconds: Int?
  /// To whom (`--escalate-to`); nil with `escalateAfterSeconds`: the
  /// person's next contact only (a cycle).
  public var escalateTo: EscalationTarget?
  /// How many waves at most (`--cycles`), each `escalateAfterSeconds` after
  /// the one before.
  public var cycles: Int
  /// Enough when this many people confirmed (`--responses-needed`): the
  /// rest are not chased. Nil: everyone.
  public var responsesNeeded: Int?

  /// The recipient attribute that names a person's deputy (another
  /// recipient's id).
  public static let deputyAttribute = "deputy"

  /// 30 minutes unless given: a crisis leader's working horizon.
  public static let defaultWithin = 30 * 60
  /// Bounds of what may be asked: one minute to a week; 1 to 5 cycles.
  public static let withinRange = 60...(7 * 86400)
  public static let cycleRange = 1...5

  public init(
    withinSeconds: Int = Self.defaultWithin, escalateAfterSeconds: Int? = nil,
    escalateTo: EscalationTarget? = nil, cycles: Int = 1, responsesNeeded: Int? = nil
  ) {
    self.withinSeconds = withinSeconds
    self.escalateAfterSeconds = escalateAfterSeconds
    self.escalateTo = escalateTo
    self.cycles = cycles
    self.responsesNeeded = responsesNeeded
  }

  /// The deadline for a message accepted at `acceptedAt`.
  public func deadline(after acceptedAt: Date) -> Date {
    acceptedAt.addingTimeInterval(TimeInterval(withinSeconds))
  }

  /// When the first escalation wave (wave 2; the message itself is wave 1)
  /// is due, or nil when none was asked for.
  public func firstWave(after acceptedAt: Date) -> Date? {
    escalateAfterSeconds.map { acceptedAt.addingTimeInterval(TimeInterval($0)) }
  }

  enum CodingKeys: String, CodingKey {
    case withinSeconds = "within_seconds"
    case escalateAfterSeconds = "escalate_after_seconds"
    case escalateTo = "escalate_to"
    case cycles
    case responsesNeeded = "responses_needed"
  }
}

extension ConfirmationRequest {
  /// The request as typed (`--confirm-within 30m --escalate-after 15m
  /// --escalate-to @deputy`) or posted (`confirm` in the API): durations
  /// and the target read from text, every failure named by its option.
  /// Bounds are checked at intake (`Intake.validate`).
  public static func reading(
    within: String?, escalateAfter: String?, escalateTo: String?, cycles: Int?,
    responsesNeeded: Int?
  ) throws(IntakeError) -> ConfirmationRequest {
    func seconds(_ text: String?, _ field: String) throws(IntakeError) -> Int? {
      guard let text else { return nil }
      switch DurationText.read(text) {
      case .success(let duration):
        // Bounded by DurationText.maximum (ten years): fits an Int.
        return Int(exactly: duration.seconds.rounded(.down)) ?? Int.max
      case .failure(let failure):
        throw IntakeError(field: field, DurationText.explain(failure, text))
      }
    }
    var target: EscalationTarget?
    if let escalateTo {
      guard let parsed = EscalationTarget(parsing: escalateTo) else {
        throw IntakeError(
          field: "escalate-to",
          "expected @deputy or an audience's name, found \"\(Printable.quoted(escalateTo))\"")
      }
      target = parsed
    }
    return ConfirmationRequest(
      withinSeconds: try seconds(within, "confirm-within") ?? defaultWithin,
      escalateAfterSeconds: try seconds(escalateAfter, "escalate-after"), escalateTo: target,
      cycles: cycles ?? 1, responsesNeeded: responsesNeeded)
  }
}
