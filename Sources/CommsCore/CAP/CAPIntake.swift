import Crypto
import Foundation

/// CAP 1.2 in: what commsd does with an alert `CAPReader` accepted.
///
/// | msgType | status                 | commsd does                                  |
/// |---------|------------------------|----------------------------------------------|
/// | Alert   | Actual/Exercise/Test/System | sends it (a `SendRequest`)              |
/// | Update  | same                   | sends it, superseding the alert it updates   |
/// | Cancel  | same                   | cancels what it names, telling who got it    |
/// | Ack, Error | any                 | refused: nothing to send                     |
/// | any     | Draft                  | refused: a draft is not issued, so not sent  |
///
/// The request is validated by `Intake` like any other; see `request(for:...)`
/// for how each field is made.
public struct CAPIntake: Sendable {
  /// How alerts map to audiences (`[cap]`).
  public let cap: CAPSettings
  /// The language a subject and body are required in.
  public let defaultLanguage: String
  /// Where Updates and Cancels find the messages they refer to.
  public let store: any Store
  /// Decides whether an alert has expired.
  public let clock: any WallClock
  /// Who feeds the alert: its idempotency key is kept apart per principal,
  /// and the messages its Update or Cancel refers to are looked up within
  /// its scope.
  public let principal: CAPPrincipal

  public init(
    configuration: Configuration, store: any Store, clock: any WallClock = SystemClock(),
    principal: CAPPrincipal = .operators
  ) {
    self.init(
      cap: configuration.cap, defaultLanguage: configuration.defaultLanguage, store: store,
      clock: clock, principal: principal)
  }

  /// Without a whole `Configuration`: what `commsd send --cap` read to hand
  /// the alert to the running daemon (`HandOverSettings`).
  public init(
    cap: CAPSettings, defaultLanguage: String, store: any Store,
    clock: any WallClock = SystemClock(), principal: CAPPrincipal = .operators
  ) {
    self.cap = cap
    self.defaultLanguage = defaultLanguage
    self.store = store
    self.clock = clock
    self.principal = principal
  }

  /// What to do with an alert.
  public enum Action: Sendable {
    /// An Alert or Update: hand it to intake like `commsd send`.
    case send(SendRequest)
    /// A Cancel: withdraw these messages like `commsd cancel --notify`.
    case cancel(CAPCancellation)
  }

  /// What `alert` asks commsd to do. `origin` is where it was read from (a
  /// file path, or "stdin"); the sender is recorded as
  /// `Sender(kind: .cap, name: alert.sender, origin: origin)`.
  ///
  /// Throws a `CAPError` naming the element when commsd will not act on the
  /// alert (Draft, Ack, Error, expired, no audience, a Cancel of nothing
  /// known), and store errors as they come.
  public func action(for alert: CAPAlert, origin: String) async throws -> Action {
    try Self.checkActionable(alert)
    let sender = Sender(kind: .cap, name: alert.sender, origin: origin)
    if alert.msgType == .cancel {
      return .cancel(try await cancellation(alert, sender: sender))
    }
    try checkNotExpired(alert)
    switch alert.msgType {
    case .update:
      let predecessor = try await predecessor(of: alert)
      return .send(
        try Self.request(
          for: alert, cap: cap, defaultLanguage: defaultLanguage, supersedes: predecessor,
          sender: sender,
          principal: principal))
    case .alert, .cancel, .ack, .error:
      return .send(
        try Self.request(
          for: alert, cap: cap, defaultLanguage: defaultLanguage, supersedes: nil, sender: sender,
          principal: principal))
    }
  }

  /// Refuses what is never sent: a Draft (not issued yet), and an Ack or
  /// Error (answers between systems, with nothing for people to read).
  static func checkActionable(_ alert: CAPAlert) throws(CAPError) {
    if alert.status == .draft {
      throw CAPError(
        "alert/status",
        "\"Draft\" is not sent: a draft is not issued (send it as Actual, Exercise or Test)")
    }
    if alert.msgType == .ack || alert.msgType == .error {
      throw CAPError(
        "alert/msgType",
        "\"\(alert.msgType.rawValue)\" answers another system and has nothing to send to people")
    }
  }

  /// Refuses an alert whose earliest `<expires>` has passed: it no longer
  /// applies, and intake would refuse it anyway, in words meant for
  /// `--expires`.
  func checkNotExpired(_ alert: CAPAlert) throws(CAPError) {
    let dated = alert.infos.enumerated().compactMap { index, info in
      info.expires.map { (index: index, expires: $0) }
    }
    guard let earliest = dated.min(by: { $0.expires < $1.expires }),
      earliest.expires <= clock.now()
    else { return }
    throw CAPError(
      "alert/info[\(earliest.index + 1)]/expires",
      "\(CAPDateTime.format(earliest.expires)) has passed: the alert no longer applies, so it is not sent"
    )
  }

  /// The message an Update replaces: the one that came in as the last
  /// alert in its `<references>` that this store knows, or, if that was
  /// superseded since, the newest in its chain (a message is superseded
  /// once; the chain's newest is what readers have now).
  ///
  /// None when no referenced alert is known (it went to another system, or
  /// came before this store): the Update is then sent as a new message, so
  /// that the people it is meant for still get it.
  ///
  /// An Update fed a second time (by the same principal) keeps the
  /// predecessor it had the first time, so that intake sees the same request
  /// and answers "duplicate".
  ///
  /// A referenced alert is looked up as `referenced(sender:identifier:)`
  /// does: the caller's own first, never one outside its scope.
  func predecessor(of alert: CAPAlert) async throws -> MessageID? {
    let ownKey = Self.idempotencyKey(
      sender: alert.sender, identifier: alert.identifier, principal: principal)
    if let own = try await store.capMessages(capSender: alert.sender, identifier: alert.identifier)
      .first(where: { $0.idempotencyKey == ownKey })
    {
      return try await store.message(own.id)?.supersedes
    }
    for reference in alert.references.reversed() {
      guard
        let known = try await referenced(
          sender: reference.sender, identifier: reference.identifier)
      else { continue }
      let latest = try await store.latestVersion(of: known)
      if latest.cancelledAt != nil {
        throw CAPError(
          "alert/references",
          "\(reference.identifier) (message \(latest.id)) was cancelled; an Update cannot bring it back: send a new Alert"
        )
      }
      return latest.id
    }
    return nil
  }

  /// The message that came in as alert `identifier` of `sender`, as this
  /// principal may act on it: the one it fed itself (its idempotency key),
  /// else the first accepted whose audiences are all within its scope.
  /// None when there is no such message — one outside its scope is as if
  /// it were not there, so that an alert another principal planted under
  /// the same identity, or one of an audience the caller may not reach, is
  /// never superseded or cancelled by it.
  func referenced(sender: String, identifier: String) async throws -> MessageID? {
    let candidates = try await store.capMessages(capSender: sender, identifier: identifier)
    let ownKey = Self.idempotencyKey(sender: sender, identifier: identifier, principal: principal)
    if let own = candidates.first(where: { $0.idempotencyKey == ownKey }) { return own.id }
    return candidates.first(where: { principal.covers($0.audiences) })?.id
  }

  /// A Cancel: the newest version of each referenced alert that this store
  /// knows (a Cancel of an alert that an Update replaced withdraws the
  /// update, which is what readers have now; each message once).
  func cancellation(_ alert: CAPAlert, sender: Sender) async throws -> CAPCancellation {
    var result = CAPCancellation(
      messages: [], alreadyCancelled: [], unknown: [], reason: Self.cancelReason(alert),
      sender: sender)
    for reference in alert.references {
      guard
        let known = try await referenced(
          sender: reference.sender, identifier: reference.identifier)
      else {
        result.unknown.append(reference)
        continue
      }
      let latest = try await store.latestVersion(of: known)
      if latest.cancelledAt != nil {
        if !result.alreadyCancelled.contains(latest.id) {
          result.alreadyCancelled.append(latest.id)
        }
      } else if !result.messages.contains(latest.id) {
        result.messages.append(latest.id)
      }
    }
    if result.messages.isEmpty && result.alreadyCancelled.isEmpty {
      let named = alert.references.map(\.identifier).joined(separator: ", ")
      throw CAPError(
        "alert/references", "none of the alerts it cancels (\(named)) came to this commsd")
    }
    return result
  }

  /// Why a Cancel withdraws: its `<note>`, else its first info's
  /// description or headline, else "Cancelled by CAP alert IDENTIFIER".
  /// Shown to readers in the retraction, so made one paragraph of at most
  /// `Cancellation.maxReasonLength` characters (control characters become
  /// spaces, a longer text is cut with "…") rather than refused.
  static func cancelReason(_ alert: CAPAlert) -> String {
    let candidates = [alert.note, alert.infos.first?.description, alert.infos.first?.headline]
    for candidate in candidates.compactMap({ $0 }) {
      let text = CAPText.paragraph(candidate)
      if !text.isEmpty { return CAPText.limit(text, to: Cancellation.maxReasonLength) }
    }
    return "Cancelled by CAP alert \(alert.identifier)"
  }

  /// The idempotency key of an alert: its sender and identifier, which CAP
  /// makes unique, so the same alert fed twice by the same principal is
  /// queued once; kept apart per principal (as the API's `Idempotency-Key`
  /// is per token), so that one principal taking an identifier first never
  /// makes another's real alert a "duplicate". Written out
  /// (`cap:SENDER,IDENTIFIER` for the operators, as before there were
  /// principals; `cap:SENDER,IDENTIFIER,api:TOKEN` for a token — neither
  /// sender nor identifier may hold a comma, so the two never meet) when
  /// that fits the key's rules (visible ASCII, at most 200 characters), else
  /// as `cap-sha256:` and the SHA-256 of the text after `cap:` in hex.
  public static func idempotencyKey(
    sender: String, identifier: String, principal: CAPPrincipal
  ) -> String {
    let text = "\(sender),\(identifier)" + principal.keySuffix
    let plain = "cap:" + text
    if plain.count <= Intake.maxIdempotencyKeyLength,
      plain.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) })
    {
      return plain
    }
    let digest = SHA256.hash(data: Data(text.utf8))
    return "cap-sha256:" + LowerHex.string(digest)
  }

  /// Whether `key` is in a namespace intake keeps for itself (CAP alerts,
  /// API tokens): an operator's `--idempotency-key` may not take one.
  public static func isReservedKey(_ key: String) -> Bool {
    key.hasPrefix("cap:") || key.hasPrefix("cap-sha256:") || key.hasPrefix("api:")
      || key.hasPrefix("draft:") || key.hasPrefix("console:")
  }
}

/// Who feeds a CAP alert in: the operators of the CLI and the intake socket
/// (who today share one scope, all of it), or one API token (its audiences).
/// Each keeps its alerts' identities apart from the others'
/// (`CAPIntake.idempotencyKey`) and acts only on messages within its scope.
public enum CAPPrincipal: Sendable, Equatable {
  case operators
  case token(APIToken)

  /// What the idempotency key adds after `SENDER,IDENTIFIER`.
  var keySuffix: String {
    switch self {
    case .operators: ""
    case .token(let token): ",api:\(token.name)"
    }
  }

  /// Whether a message to `audiences` is within this principal's scope.
  public func covers(_ audiences: [String]) -> Bool {
    switch self {
    case .operators: true
    case .token(let token): !audiences.isEmpty && token.covers(audiences)
    }
  }
}

/// What a CAP Cancel withdraws (see `CAPIntake.cancellation`).
public struct CAPCancellation: Sendable, Equatable {
  /// The messages to cancel, with a retraction to those who got them.
  public var messages: [MessageID]
  /// Referenced messages already cancelled (a Cancel fed twice): nothing to do.
  public var alreadyCancelled: [MessageID]
  /// References to alerts that never came to this commsd.
  public var unknown: [CAPReference]
  /// Recorded, and shown to readers in the retraction.
  public var reason: String
  public var sender: Sender

  public init(
    messages: [MessageID], alreadyCancelled: [MessageID], unknown: [CAPReference],
    reason: String, sender: Sender
  ) {
    self.messages = messages
    self.alreadyCancelled = alreadyCancelled
    self.unknown = unknown
    self.reason = reason
    self.sender = sender
  }
}
