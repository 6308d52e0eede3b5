import Foundation

/// How an Alert or Update becomes a `SendRequest`.
extension CAPIntake {
  /// The request for an Alert or Update:
  ///
  /// | field       | from the alert                                                    |
  /// |-------------|-------------------------------------------------------------------|
  /// | audiences   | `[cap.audiences]` (see `CAPSettings.audiences(for:)`)             |
  /// | priority    | `alert.commsPriority` (the highest of its infos)                  |
  /// | kind        | Update → update, Alert → alert; all-clear when every info's responseType is AllClear |
  /// | contents    | one per language (see `contents(of:defaultLanguage:)`)            |
  /// | mode        | status: Actual, Exercise, Test, System (Draft never gets here)    |
  /// | expiresAt   | the earliest `<expires>` of its infos                             |
  /// | cap         | sender, identifier and `sent` as written                          |
  /// | idempotency | `idempotencyKey(sender:identifier:principal:)`                    |
  /// | supersedes  | `supersedes`, found by `predecessor(of:)` for an Update           |
  public static func request(
    for alert: CAPAlert, configuration: Configuration, supersedes: MessageID?, sender: Sender,
    principal: CAPPrincipal = .operators
  ) throws(CAPError) -> SendRequest {
    try request(
      for: alert, cap: configuration.cap, defaultLanguage: configuration.defaultLanguage,
      supersedes: supersedes, sender: sender, principal: principal)
  }

  /// As `request(for:configuration:…)`, with only the two settings it uses.
  public static func request(
    for alert: CAPAlert, cap: CAPSettings, defaultLanguage: String, supersedes: MessageID?,
    sender: Sender, principal: CAPPrincipal = .operators
  ) throws(CAPError) -> SendRequest {
    try checkActionable(alert)
    guard !alert.infos.isEmpty else {
      throw CAPError(
        "alert/info", "is required: an \(alert.msgType.rawValue) without info has nothing to send")
    }
    let audiences = cap.audiences(for: alert)
    guard !audiences.isEmpty else {
      let info = alert.infos[0]
      var named = info.audience.map { "<audience> \"\($0)\" or " } ?? ""
      named += "categories " + info.categories.map(\.rawValue).joined(separator: ", ")
      throw CAPError(
        "alert/info[1]/audience",
        "no commsd audience: no key under [cap.audiences] matches its \(named), and there is no default"
      )
    }
    let mode: MessageMode =
      switch alert.status {
      case .actual, .draft: .actual
      case .exercise: .exercise
      case .test: .test
      case .system: .system
      }
    let allClear = alert.infos.allSatisfy { $0.responseTypes.contains(.allClear) }
    var request = SendRequest(
      audiences: audiences, priority: alert.commsPriority,
      kind: allClear ? .allClear : alert.msgType == .update ? .update : .alert,
      contents: contents(of: alert.infos, defaultLanguage: defaultLanguage),
      idempotencyKey: idempotencyKey(
        sender: alert.sender, identifier: alert.identifier, principal: principal),
      sender: sender, supersedes: supersedes,
      expiresAt: alert.infos.compactMap(\.expires).min(), mode: mode,
      cap: CAPIdentity(sender: alert.sender, identifier: alert.identifier, sent: alert.sentText))
    // CAP `effective`: not before then (the earliest of its infos; one
    // already past is no schedule, intake sends it at once).
    request.notBefore = alert.infos.compactMap(\.effective).min()
    return request
  }

  /// Subject and body per language, from the infos in order:
  ///
  /// - The language is the primary subtag of the info's tag ("da-DK" → "da",
  ///   "en-US" → "en"), which is how recipients' languages are written; an
  ///   info in the configured default language's primary language gets the
  ///   default language as configured (with `default_language = "da-DK"`,
  ///   a "da" or "da-DK" info is "da-DK").
  /// - Subject: the headline, else the event, on one line, at most
  ///   `Intake.maxSubjectLength` characters (cut with "…").
  /// - Body: the description, then the instruction, then the web address
  ///   and the contact, each labelled in Danish or English; never empty
  ///   (the subject when the info has none of them).
  /// - Several infos in one language (one event per area, say) make one
  ///   content: the first one's subject, and each body after the other,
  ///   headed by its own subject when that differs.
  /// - When no info is in the default language, the first info's content
  ///   is also the default language's, so that intake (which needs the
  ///   default language) takes it and readers of other languages still get
  ///   it rather than nothing.
  static func contents(of infos: [CAPInfo], defaultLanguage: String) -> [String: MessageContent] {
    var contents: [String: MessageContent] = [:]
    for info in infos {
      let language = languageKey(info.language, defaultLanguage: defaultLanguage)
      let headline = CAPText.singleLine(info.headline ?? "")
      let subject = CAPText.limit(
        headline.isEmpty ? CAPText.singleLine(info.event) : headline, to: Intake.maxSubjectLength)
      let body = body(of: info, subject: subject, language: language)
      if var existing = contents[language] {
        existing.body += "\n\n" + (subject == existing.subject ? body : "\(subject)\n\(body)")
        contents[language] = existing
      } else {
        contents[language] = MessageContent(subject: subject, body: body)
      }
    }
    if contents[defaultLanguage] == nil, let first = infos.first {
      contents[defaultLanguage] =
        contents[languageKey(first.language, defaultLanguage: defaultLanguage)]
    }
    return contents
  }

  /// The content language for a CAP language tag (see `contents`).
  static func languageKey(_ tag: String, defaultLanguage: String) -> String {
    let primary = LanguageTag.primary(tag)
    return primary == LanguageTag.primary(defaultLanguage) ? defaultLanguage : primary
  }

  private static func body(of info: CAPInfo, subject: String, language: String) -> String {
    let danish = LanguageTag.primary(language) == "da"
    var parts = [info.description, info.instruction].compactMap { text -> String? in
      let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
      return trimmed.isEmpty ? nil : trimmed
    }
    var references: [String] = []
    if let web = info.web.map(CAPText.singleLine), !web.isEmpty {
      references.append((danish ? "Mere information: " : "More information: ") + web)
    }
    if let contact = info.contact.map(CAPText.singleLine), !contact.isEmpty {
      references.append((danish ? "Kontakt: " : "Contact: ") + contact)
    }
    if !references.isEmpty { parts.append(references.joined(separator: "\n")) }
    return parts.isEmpty ? subject : parts.joined(separator: "\n\n")
  }
}

/// Free text from an alert made fit for what commsd shows.
enum CAPText {
  /// One line: runs of whitespace (line breaks included) and control
  /// characters become one space; no surrounding space.
  static func singleLine(_ text: String) -> String {
    text.unicodeScalars.split {
      $0.properties.isWhitespace || $0.properties.generalCategory == .control
    }
    .map { String(String.UnicodeScalarView($0)) }.joined(separator: " ")
  }

  /// Line breaks kept as "\n", other control characters as spaces, no
  /// surrounding whitespace.
  static func paragraph(_ text: String) -> String {
    var result = String.UnicodeScalarView()
    for scalar in text.replacingOccurrences(of: "\r\n", with: "\n").unicodeScalars {
      if scalar == "\n" || scalar.properties.generalCategory != .control {
        result.append(scalar)
      } else {
        result.append(scalar == "\r" ? "\n" : " ")
      }
    }
    return String(result).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// `text`, or its first `limit` - 1 characters and "…" when longer.
  static func limit(_ text: String, to limit: Int) -> String {
    text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
  }
}
