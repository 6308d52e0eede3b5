import Foundation

/// Reading `[audiences.NAME]`: display names, templates and Reply-To.
///
/// ```toml
/// [audiences.relatives]
/// display_name = "Pårørende"
/// reply_to = "Pårørendetelefonen <paaroerende@kommune.example>"
/// subject_format = "[{{audience}} #{{bulletin}}] {{subject}}"
/// footer = "Spørgsmål: ring 7012 3456 (hverdage 8–16)."
/// signature = "Krisestaben, Eksempel Kommune"
/// sms_format = "{{subject}}: {{first_paragraph}} Spørgsmål: 7012 3456"
/// [audiences.relatives.translations.en]
/// display_name = "Relatives"
/// footer = "Questions: call +45 7012 3456 (weekdays 8–16)."
/// ```
extension ConfigurationReader {
  func readAudience(_ table: ConfigTable, name: String, endpoints: [String: Endpoint]) -> Audience?
  {
    var table = table
    let displayName = table.string("display_name") ?? name
    let replyTo = table.string("reply_to")
    let base = readParts(&table)
    let dosing = readDosing(table.table("dosing"))
    let confirmation = table.table("confirm").flatMap(readConfirmDefault)
    let inbound = table.table("inbound").map { inbound in
      var inbound = inbound
      defer { inbound.rejectUnknownKeys() }
      return readInboundRouting(&inbound, endpoints: endpoints, acknowledges: true)
    }
    let approval = table.table("approval").flatMap(readApproval)
    var displayNames: [String: String] = [:]
    var translations: [String: AudienceTemplate.Parts] = [:]
    if var languages = table.table("translations") {
      for language in languages.keys {
        guard var translation = languages.table(language) else { continue }
        if let name = translation.string("display_name") { displayNames[language] = name }
        translations[language] = readParts(&translation)
        translation.rejectUnknownKeys()
      }
    }
    table.rejectUnknownKeys()
    if let replyTo {
      do { _ = try EmailAddress(parsing: replyTo) } catch {
        table.fail("reply_to", "not a valid mailbox: \(error)")
        return nil
      }
    }
    do {
      let template = try AudienceTemplate(
        subjectFormat: base.subjectFormat, header: base.header, footer: base.footer,
        signature: base.signature, replyTo: replyTo, smsFormat: base.smsFormat,
        translations: translations)
      return Audience(
        name: name, displayName: displayName, displayNames: displayNames, template: template,
        dosing: dosing, confirmation: confirmation, inbound: inbound,
        approval: approval)
    } catch {
      // The error names the part, e.g. "footer[en]": point at that key.
      let part = error.part.split(separator: "[", maxSplits: 1)
      let name = part.first.map { $0 == "subject" ? "subject_format" : String($0) } ?? error.part
      let language = part.count > 1 ? String(part[1].dropLast()) : nil
      if let language, var translations = table.table("translations"),
        let translation = translations.table(language)
      {
        translation.fail(name, error.message)
      } else {
        table.fail(name, error.message)
      }
      return nil
    }
  }

  /// `[audiences.NAME.confirm]`: what `--confirm` asks of this audience's
  /// readers when the sender gives nothing (an empty table: 30 minutes, no
  /// waves). The keys are the options' names without `confirm-`.
  func readConfirmDefault(_ table: ConfigTable) -> ConfirmationRequest? {
    var table = table
    let keys = [
      "confirm-within": "within", "escalate-after": "escalate_after",
      "escalate-to": "escalate_to", "cycles": "cycles", "responses-needed": "responses_needed",
    ]
    let within = table.string("within")
    let escalateAfter = table.string("escalate_after")
    let escalateTo = table.string("escalate_to")
    let cycles = table.integer("cycles", in: 1...5).map { Int(clamping: $0) }
    let needed = table.integer("responses_needed", in: 1...100_000).map {
      Int(clamping: $0)
    }
    table.rejectUnknownKeys()
    do throws(IntakeError) {
      let request = try ConfirmationRequest.reading(
        within: within, escalateAfter: escalateAfter, escalateTo: escalateTo, cycles: cycles,
        responsesNeeded: needed)
      try request.checkBounds()
      return request
    } catch {
      table.fail(keys[error.field] ?? error.field, error.message)
      return nil
    }
  }

  private func readParts(_ table: inout ConfigTable) -> AudienceTemplate.Parts {
    AudienceTemplate.Parts(
      subjectFormat: table.string("subject_format"), header: table.string("header"),
      footer: table.string("footer"), signature: table.string("signature"),
      smsFormat: table.string("sms_format"))
  }

  /// `[audiences.NAME.dosing]`; absent keys keep the standard policy
  /// (quiet hours 22:00–07:00, no cap, no digest, no gap).
  func readDosing(_ table: ConfigTable?) -> DosingPolicy {
    var policy = DosingPolicy.standard
    guard var table else { return policy }
    if let text = table.string("quiet_hours") {
      if text == "none" {
        policy.quietHours = nil
      } else if let quiet = QuietHours(parsing: text) {
        policy.quietHours = quiet
      } else {
        table.fail(
          "quiet_hours", "expected a window such as \"22:00-07:00\", or \"none\"; found \"\(text)\""
        )
      }
    }
    if let value = table.bool("urgent_in_quiet_hours") { policy.urgentInQuietHours = value }
    if let cap = table.integer("cap", in: 1...1000) { policy.cap = cap }
    if let window = table.duration("cap_window", in: .seconds(1)...(.seconds(366 * 86_400))) {
      policy.capWindow = window
    }
    if let slots = table.strings("digest") {
      var minutes: [Int] = []
      for (text, line) in slots {
        guard let minute = QuietHours.minutes(Substring(text)) else {
          table.fail(
            "digest", "expected local times such as \"08:00\", found \"\(text)\"", line: line)
          continue
        }
        minutes.append(minute)
      }
      policy.digestSlots = minutes.sorted()
    }
    if let gap = table.duration("min_gap", in: .zero...(.seconds(366 * 86_400))) {
      policy.minimumGap = gap
    }
    table.rejectUnknownKeys()
    return policy
  }
}
