import Foundation

/// CAP 1.2 out: a message as a CAP alert, for `commsd export-cap`.
///
/// Every exported alert is commsd's own: `identifier` is the message id,
/// `sender` the configured `[cap] sender`, `sent` the time it was accepted
/// (UTC, whole seconds). A message that came in as CAP is no exception: it
/// is exported as what commsd sent, and its Update references commsd's own
/// export of the message it replaced, so a receiver of the exports can
/// follow the thread without knowing where the alerts came from.
///
/// | message                          | exported as                                     |
/// |----------------------------------|-------------------------------------------------|
/// | new                              | Alert                                           |
/// | `supersedes` another             | Update, `references` = that one's export        |
/// | cancelled (`--cancellation`)     | Cancel, `references` = its export, note = reason |
/// | a retraction (kind retraction)   | the Cancel of the message it withdraws          |
///
/// Status is the mode (actual → Actual, exercise → Exercise, test → Test,
/// system → System), scope Public. Each language is one `<info>`, the
/// default language first: `category` from `[cap] category` (default
/// Other), `event` and `headline` the subject, `description` the body,
/// `audience` the audiences' display names in that language, `expires` if
/// set, `senderName` from `[cap] sender_name`, and urgency, severity and
/// certainty from the priority (see `grading`). An all-clear says
/// responseType AllClear.
public struct CAPExport: Sendable {
  public let sender: String
  public let settings: CAPSettings
  public let audiences: [String: Audience]

  public init(sender: String, settings: CAPSettings, audiences: [String: Audience]) {
    self.sender = sender
    self.settings = settings
    self.audiences = audiences
  }

  /// The exporter for `configuration`; nil without `[cap] sender`.
  public init?(configuration: Configuration) {
    guard let sender = configuration.cap.sender else { return nil }
    self.init(sender: sender, settings: configuration.cap, audiences: configuration.audiences)
  }

  /// The identity `message` is exported under; an Update or Cancel of it
  /// references this.
  public func reference(to message: Message) -> CAPReference {
    CAPReference(
      sender: sender, identifier: message.id.rawValue,
      sent: CAPDateTime.format(Self.wholeSeconds(message.acceptedAt)))
  }

  /// `message` as an Alert, or as an Update of `predecessor` (the message
  /// it supersedes) when it has one.
  public func alert(for message: Message, predecessor: Message?) -> CAPAlert {
    let identity = reference(to: message)
    let update = message.supersedes != nil && predecessor?.id == message.supersedes
    var languages = message.contents.keys.filter { $0 != message.defaultLanguage }.sorted()
    if message.contents[message.defaultLanguage] != nil {
      languages.insert(message.defaultLanguage, at: 0)
    }
    return CAPAlert(
      identifier: identity.identifier, sender: sender, sent: Self.wholeSeconds(message.acceptedAt),
      status: Self.status(message.mode), msgType: update ? .update : .alert, scope: .public,
      references: update ? predecessor.map { [reference(to: $0)] } ?? [] : [],
      infos: languages.compactMap { language in
        message.contents[language].map { info(message, language: language, content: $0) }
      })
  }

  /// The Cancel of `message`, cancelled as `cancellation` says. Its identity
  /// is that of the retraction sent for it if there is one (so that
  /// exporting the retraction gives the same document), else
  /// `ID-cancel`, sent when it was cancelled.
  public func cancel(
    of message: Message, cancellation: CancellationRecord, retraction: Message?
  ) -> CAPAlert {
    let identifier = retraction?.id.rawValue ?? "\(message.id.rawValue)-cancel"
    let sent = Self.wholeSeconds(retraction?.acceptedAt ?? cancellation.at)
    let reason = cancellation.reason.trimmingCharacters(in: .whitespacesAndNewlines)
    return CAPAlert(
      identifier: identifier, sender: sender, sent: sent, status: Self.status(message.mode),
      msgType: .cancel, scope: .public, note: reason.isEmpty ? nil : reason,
      references: [reference(to: message)])
  }

  private func info(_ message: Message, language: String, content: MessageContent) -> CAPInfo {
    let (urgency, severity, certainty) = Self.grading(message.priority)
    let names = message.audiences.map { audiences[$0]?.displayName(in: language) ?? $0 }
    return CAPInfo(
      language: language, categories: [settings.category], event: content.subject,
      responseTypes: message.kind == .allClear ? [.allClear] : [], urgency: urgency,
      severity: severity, certainty: certainty,
      audience: names.isEmpty ? nil : names.joined(separator: ", "),
      effective: message.notBefore.map(Self.wholeSeconds),
      expires: message.expiresAt.map(Self.wholeSeconds), senderName: settings.senderName,
      headline: content.subject, description: content.body)
  }

  /// Urgency, severity and certainty for a priority, chosen so that
  /// `CAPInfo.commsPriority` reads the same priority back (bulk, which CAP
  /// has no grade below normal for, comes back as normal):
  ///
  /// | priority | urgency   | severity | certainty |
  /// |----------|-----------|----------|-----------|
  /// | flash    | Immediate | Severe   | Observed  |
  /// | urgent   | Expected  | Moderate | Likely    |
  /// | normal   | Future    | Minor    | Likely    |
  /// | bulk     | Unknown   | Minor    | Unknown   |
  public static func grading(_ priority: Priority) -> (CAPUrgency, CAPSeverity, CAPCertainty) {
    switch priority {
    case .flash: (.immediate, .severe, .observed)
    case .urgent: (.expected, .moderate, .likely)
    case .normal: (.future, .minor, .likely)
    case .bulk: (.unknown, .minor, .unknown)
    }
  }

  static func status(_ mode: MessageMode) -> CAPStatus {
    switch mode {
    case .actual: .actual
    case .exercise: .exercise
    case .test: .test
    case .system: .system
    }
  }

  /// CAP writes whole seconds; dropping the fraction here keeps what is
  /// exported equal to what a receiver reads back.
  static func wholeSeconds(_ date: Date) -> Date {
    Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
  }
}
