import Crypto
import Foundation

/// The first stage: validates a request against the configuration and makes
/// it durable. Nothing is stored unless everything is valid, and the caller
/// hears "accepted" only after the store's commit.
public struct Intake: Sendable {
  /// Limits that keep one message from swamping the queue or a receiver.
  public static let maxSubjectLength = 250
  public static let maxBodyBytes = 64 * 1024
  public static let maxIdempotencyKeyLength = 200

  public let configuration: Configuration
  /// Whom messages can reach: audiences' members and their attributes.
  public let directory: RecipientDirectory
  public let store: any Store
  public let clock: any WallClock

  public init(
    configuration: Configuration, store: any Store, clock: any WallClock = SystemClock(),
    directory: RecipientDirectory? = nil
  ) {
    self.configuration = configuration
    self.directory = directory ?? configuration.directory
    self.store = store
    self.clock = clock
  }

  /// Validates `request`; throws the first problem found, naming its field.
  public func validate(_ request: SendRequest) throws(IntakeError) {
    if request.kind == .retraction || request.kind.isConversation {
      throw IntakeError(
        field: "kind",
        "\(request.kind.rawValue) is commsd's own (cancel with notify, commsd inbox answer)")
    }
    if request.audiences.isEmpty {
      throw IntakeError(field: "audience", "name at least one audience")
    }
    var seen = Set<String>()
    for audience in request.audiences {
      guard configuration.audiences[audience] != nil else {
        let known = configuration.audiences.keys.sorted().joined(separator: ", ")
        throw IntakeError(
          field: "audience", "unknown audience \"\(audience)\" (configured: \(known))")
      }
      guard seen.insert(audience).inserted else {
        throw IntakeError(field: "audience", "\"\(audience)\" is named twice")
      }
    }
    guard request.contents[configuration.defaultLanguage] != nil else {
      throw IntakeError(
        field: "body",
        "a subject and body in the default language \"\(configuration.defaultLanguage)\" are required"
      )
    }
    for (language, content) in request.contents.sorted(by: { $0.key < $1.key }) {
      let suffix = language == configuration.defaultLanguage ? "" : "[\(language)]"
      guard Self.isLanguageCode(language) else {
        throw IntakeError(
          field: "language", "\"\(language)\" is not a language code such as da, en or ar")
      }
      let subject = content.subject.trimmed(.whitespaces)
      if subject.isEmpty { throw IntakeError(field: "subject\(suffix)", "must not be empty") }
      if subject.count > Self.maxSubjectLength {
        throw IntakeError(
          field: "subject\(suffix)",
          "is \(subject.count) characters; at most \(Self.maxSubjectLength) are allowed")
      }
      if subject.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
        throw IntakeError(
          field: "subject\(suffix)",
          "must be one line without control characters (line breaks are refused)")
      }
      if content.body.isBlank(.whitespacesAndNewlines) {
        throw IntakeError(field: "body\(suffix)", "must not be empty")
      }
      if content.body.utf8.count > Self.maxBodyBytes {
        throw IntakeError(
          field: "body\(suffix)",
          "is \(content.body.utf8.count) bytes; at most \(Self.maxBodyBytes) are allowed")
      }
      if content.body.utf8.contains(0) {
        throw IntakeError(field: "body\(suffix)", "contains a NUL character")
      }
      if let sms = content.sms {
        try validateSMS(
          sms, field: "sms_body\(suffix)", mark: request.mode.readerMark,
          last: ConfirmLinks.sampleLine(
            configuration.confirm, confirming: request.confirmation != nil, language: language))
      }
    }
    try validateTargeting(request)
    if let supersedes = request.supersedes, !MessageID.isWellFormed(supersedes.rawValue) {
      throw IntakeError(
        field: "supersedes", "\"\(supersedes)\" is not a message id (msg_ and 26 characters)")
    }
    if let expiresAt = request.expiresAt, expiresAt <= clock.now() {
      throw IntakeError(
        field: "expires", "\(Timestamp.format(expiresAt)) has passed; give a time in the future")
    }
    if let notBefore = request.notBefore { try validateRelease(notBefore, of: request) }
    if let confirmation = request.confirmation { try validate(confirmation, of: request) }
    if let key = request.idempotencyKey {
      if key.isEmpty || key.count > Self.maxIdempotencyKeyLength
        || key.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value > 0x7E })
      {
        throw IntakeError(
          field: "idempotency_key",
          "must be 1 to \(Self.maxIdempotencyKeyLength) visible ASCII characters")
      }
    }
  }

  /// How far ahead a message may be scheduled: a year (a typo in the year
  /// is refused rather than kept waiting for a decade).
  public static let maxScheduleAhead: TimeInterval = 366 * 86_400

  /// A release time is at most a year ahead, and before the expiry.
  private func validateRelease(_ notBefore: Date, of request: SendRequest) throws(IntakeError) {
    let now = clock.now()
    if notBefore.timeIntervalSince(now) > Self.maxScheduleAhead {
      throw IntakeError(
        field: "not_before",
        "\(LocalTimeText.format(notBefore)) is more than a year ahead; check the year")
    }
    if let expiresAt = request.expiresAt, expiresAt <= max(notBefore, now) {
      throw IntakeError(
        field: "expires",
        "\(LocalTimeText.format(expiresAt)) is not after the release at \(LocalTimeText.format(notBefore)); it would expire before it goes"
      )
    }
  }

  /// A written SMS text must fit every SMS endpoint's `max_sms_segments`
  /// as it is: it is never cut, so a longer one is refused here, with its
  /// count, rather than cost more or arrive in pieces.
  private func validateSMS(_ text: String, field: String, mark: String?, last: String?)
    throws(IntakeError)
  {
    let text = text.trimmed(.whitespacesAndNewlines)  // as it is stored
    if text.isEmpty {
      throw IntakeError(field: field, "must not be empty (leave it out for a shortened rendering)")
    }
    if text.unicodeScalars.contains(where: { $0.value == 0 }) {
      throw IntakeError(field: field, "contains a NUL character")
    }
    if text.utf8.count > Self.maxBodyBytes {
      throw IntakeError(
        field: field, "is \(text.utf8.count) bytes; at most \(Self.maxBodyBytes) are allowed")
    }
    let limit = configuration.endpoints.values.filter(\.format.sendsSMS).map(\.maxSMSSegments).min()
    // Counted as readers get it: after the mark of an exercise or a test.
    // With the confirmation link, which goes under it.
    let segments = SMSSegments(
      (mark.map { "\($0) \(text)" } ?? text) + (last.map { "\n" + $0 } ?? ""))
    if let limit, segments.count > limit {
      throw IntakeError(
        field: field,
        "takes \(segments)\(last == nil ? "" : " with the confirmation link"); the SMS endpoints allow at most \(limit) (max_sms_segments); shorten it"
      )
    }
  }

  /// The filter names known attributes, and someone is left to receive the message.
  private func validateTargeting(_ request: SendRequest) throws(IntakeError) {
    let known = directory.attributeNames
    for condition in request.filter.conditions where !known.contains(condition.attribute) {
      let names =
        known.isEmpty ? "none are defined" : "known: " + known.sorted().joined(separator: ", ")
      throw IntakeError(field: "where", "unknown attribute \"\(condition.attribute)\" (\(names))")
    }
    let reached = request.audiences.contains { audience in
      directory.hasMember(of: audience, matching: request.filter)
    }
    guard reached else {
      let scope = request.audiences.joined(separator: ", ")
      if request.filter.isEmpty {
        throw IntakeError(
          field: "audience", "\(scope) has no recipients; nobody would receive this message")
      }
      throw IntakeError(
        field: "where", "no recipient in \(scope) matches; nobody would receive this message")
    }
  }

  /// Validates and persists `request`. Returns once the message is durable.
  public func accept(_ request: SendRequest) async throws -> AcceptOutcome {
    let (message, fingerprint) = try makeMessage(request)
    return try await store.accept(message, fingerprint: fingerprint)
  }

  /// Puts a refused request on record (`request.refused`: who, what was
  /// asked, which field and why), so refusals can be reviewed afterwards.
  /// Best effort: the refusal stands whether or not this is written.
  public func recordRefusal(_ response: IntakeWire.Response, of request: SendRequest) async {
    var detail = [
      "audiences": request.audiences.joined(separator: ","), "priority": request.priority.rawValue,
    ]
    switch response {
    case .refused(let field, let message):
      detail["field"] = field
      detail["reason"] = message
    case .conflict(let message):
      detail["field"] = "idempotency_key"
      detail["reason"] = message
    case .accepted, .duplicate, .failed, .received:
      return
    }
    try? await store.appendAudit([
      AuditEvent(
        kind: "request.refused", at: clock.now(), actor: request.sender.description,
        detail: detail)
    ])
  }

  /// Validates `request` and makes the message to store, stamped now, with
  /// the fingerprint that tells a repeated idempotency key from a conflict.
  public func makeMessage(_ request: SendRequest) throws(IntakeError) -> (Message, String) {
    let request = withAudienceDefaults(request)
    try validate(request)
    let now = clock.now()
    var generator = SystemRandomNumberGenerator()
    let gates = try approvalGates(request)
    var message = Message(
      id: MessageID(rawValue: ULID.make("msg_", at: now, using: &generator)),
      idempotencyKey: request.idempotencyKey, sender: request.sender,
      audiences: request.audiences, priority: request.priority, kind: request.kind,
      contents: request.contents.mapValues {
        MessageContent(
          subject: $0.subject.trimmed(.whitespaces), body: $0.body,
          sms: $0.sms?.trimmed(.whitespacesAndNewlines))
      },
      defaultLanguage: configuration.defaultLanguage, acceptedAt: now, filter: request.filter,
      supersedes: request.supersedes, expiresAt: request.expiresAt, mode: request.mode,
      cap: request.cap, confirmation: request.confirmation)
    if !gates.isEmpty { message.approvalGates = gates }
    // A release time that has come already (a slow client, a CAP alert
    // effective at once) is no schedule: it goes now.
    if let notBefore = request.notBefore, notBefore > now { message.notBefore = notBefore }
    message.template = request.template
    message.draft = request.draft
    return (message, Self.fingerprint(of: request))
  }

  /// `request` with the confirmation its audiences ask for
  /// (`[audiences.NAME.confirm]`, the first of its audiences that asks)
  /// when the sender gave none and did not decline.
  func withAudienceDefaults(_ request: SendRequest) -> SendRequest {
    guard request.confirmation == nil, !request.declinesConfirmation else { return request }
    var request = request
    request.confirmation =
      request.audiences.lazy.compactMap {
        configuration.audiences[$0]?.confirmation
      }.first
    return request
  }

  public static func isLanguageCode(_ text: String) -> Bool {
    (2...8).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isLetter || $0 == "-") }
  }
}
