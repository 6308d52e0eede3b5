import Foundation

/// The compose form's fields, and what they mean: the same request body
/// the API takes (`MessageRequestBody`), so a message from the console is
/// read, checked and refused exactly as one from an integrator or, through
/// intake, from the CLI, and a refusal names a field this form shows.
///
/// Fields: `template` and `var.NAME`; or per language `subject.LANG`,
/// `body.LANG`, `sms.LANG` (the first language with a text is the
/// message's own, the rest translations); `audiences` (checkboxes),
/// `where` (`unit=solgaarden; role=nurse,cook`), `priority`, `kind`,
/// `expires_at` and `not_before` (local time, `2026-12-03T14:00`),
/// `confirm` (`""`: as the audiences ask, `ask`, `no`) with
/// `confirm_within`, `exercise`; hidden `key` (one per form, so a second
/// press sends nothing twice), `supersedes`, `draft`, `revision` and
/// `mode` (`test` for a test message taken over).
struct ComposeForm: Sendable {
  var values: [String: String] = [:]
  var audiences: [String] = []

  init(values: [String: String] = [:], audiences: [String] = []) {
    self.values = values
    self.audiences = audiences
  }

  init(_ form: FormBody) {
    for (name, value) in form.fields where name != "audiences" && name != "csrf" {
      // A browser's text area sends CRLF line breaks; messages keep LF.
      if values[name] == nil { values[name] = value.replacingOccurrences(of: "\r\n", with: "\n") }
    }
    audiences = form.all("audiences")
  }

  subscript(_ name: String) -> String {
    get { values[name] ?? "" }
    set { values[name] = newValue }
  }

  func given(_ name: String) -> String? {
    let value = self[name].trimmingCharacters(in: .whitespacesAndNewlines)
    return value.isEmpty ? nil : value
  }

  /// A refusal, by the form field it concerns (`general` for the form as a whole).
  struct Refusal: Error, Sendable {
    var field: String
    var message: String
  }

  /// The request body as the API reads it, and the message's own language.
  func body(languages: [String]) throws(Refusal) -> (object: [String: Any], language: String) {
    var object: [String: Any] = [:]
    var language = languages.first ?? "da"
    if let template = given("template") {
      object["template"] = template
      var vars: [String: String] = [:]
      for (name, value) in values where name.hasPrefix("var.") {
        vars[String(name.dropFirst(4))] = value.trimmingCharacters(in: .whitespaces)
      }
      object["vars"] = vars
      if !audiences.isEmpty { object["audiences"] = audiences }
    } else {
      let written = languages.filter { given("subject.\($0)") != nil || given("body.\($0)") != nil }
      guard let main = written.first else {
        throw Refusal(
          field: "subject.\(language)", message: "write a subject and a text, or choose a template")
      }
      language = main
      object["language"] = main
      object["subject"] = self["subject.\(main)"]
      object["body"] = self["body.\(main)"]
      if let sms = given("sms.\(main)") { object["sms_body"] = sms }
      var translations: [String: Any] = [:]
      for code in written.dropFirst() {
        var entry: [String: String] = [
          "subject": self["subject.\(code)"], "body": self["body.\(code)"],
        ]
        if let sms = given("sms.\(code)") { entry["sms_body"] = sms }
        translations[code] = entry
      }
      if !translations.isEmpty { object["translations"] = translations }
      object["audiences"] = audiences
    }
    if let priority = given("priority") { object["priority"] = priority }
    if let kind = given("kind") { object["kind"] = kind }
    if let text = given("where") { object["where"] = try Self.conditions(text) }
    if let text = given("expires_at") {
      switch LocalTimeText.read(text, in: SendTimeText.zone) {
      case .success(let date): object["expires_at"] = Timestamp.format(date)
      case .failure(let failure): throw Refusal(field: "expires_at", message: failure.description)
      }
    }
    if let text = given("not_before") { object["not_before"] = text }
    switch given("confirm") {
    case "ask":
      if let within = given("confirm_within") {
        object["confirm"] = ["within": within]
      } else {
        object["confirm"] = true
      }
    case "no": object["confirm"] = false
    default: break
    }
    // An exercise is a checkbox; a test message (from the API, superseded
    // or drafted here) keeps its mode in a hidden field.
    if self["exercise"] == "on" {
      object["mode"] = "exercise"
    } else if given("mode") == "test" {
      object["mode"] = "test"
    }
    return (object, language)
  }

  /// `where`: conditions apart by `;` or new lines, each `KEY=VALUE[,VALUE…]`.
  static func conditions(_ text: String) throws(Refusal) -> [String: [String]] {
    var conditions: [String: [String]] = [:]
    for part in text.split(whereSeparator: { $0 == ";" || $0 == "\n" }) {
      let trimmed = part.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty { continue }
      guard let condition = RecipientFilter.condition(parsing: trimmed), !condition.values.isEmpty
      else {
        throw Refusal(
          field: "where",
          message: "\"\(trimmed.prefix(60))\": expected KEY=VALUE, e.g. unit=solgaarden")
      }
      conditions[condition.attribute, default: []] += condition.values
    }
    return conditions
  }

  /// The form field for a field the API or intake named.
  static func formField(_ apiField: String, language: String) -> String {
    for (part, name) in [("subject", "subject"), ("body", "body"), ("sms_body", "sms")] {
      if apiField == part { return "\(name).\(language)" }
      if apiField.hasPrefix("translations."), apiField.hasSuffix(".\(part)") {
        let code = apiField.dropFirst("translations.".count).dropLast(part.count + 1)
        return "\(name).\(code)"
      }
    }
    if apiField.hasPrefix("vars.") { return "var." + apiField.dropFirst(5) }
    if apiField.hasPrefix("where") { return "where" }
    if apiField.hasPrefix("confirm") { return "confirm" }
    switch apiField {
    case "audiences", "priority", "kind", "expires_at", "not_before", "template", "mode":
      return apiField
    case "translations", "language": return "subject.\(language)"
    default: return "general"
    }
  }

  /// The form as a draft or an earlier message had it.
  init(_ content: DraftContent) {
    self.init(audiences: content.audiences)
    values["priority"] = content.priority.rawValue
    values["kind"] = content.kind.rawValue
    if let template = content.template {
      values["template"] = template
      for (name, value) in content.variables ?? [:] { values["var.\(name)"] = value }
    } else {
      for (code, text) in content.contents {
        values["subject.\(code)"] = text.subject
        values["body.\(code)"] = text.body
        if let sms = text.sms { values["sms.\(code)"] = sms }
      }
    }
    if !content.filter.conditions.isEmpty {
      values["where"] = content.filter.conditions.map {
        "\($0.attribute)=\($0.values.joined(separator: ","))"
      }.joined(separator: "; ")
    }
    if let expires = content.expiresAt { values["expires_at"] = Self.local(expires) }
    if let release = content.notBefore { values["not_before"] = Self.local(release) }
    if content.mode == .exercise { values["exercise"] = "on" }
    if content.mode == .test { values["mode"] = "test" }
    if content.declinesConfirmation { values["confirm"] = "no" }
    if let confirmation = content.confirmation {
      values["confirm"] = "ask"
      values["confirm_within"] = DurationText.format(.seconds(confirmation.withinSeconds))
    }
    if let old = content.supersedes { values["supersedes"] = old.rawValue }
  }

  /// `2026-12-03T14:00` in Europe/Copenhagen, as a `datetime-local` field shows it.
  static func local(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = SendTimeText.zone
    formatter.dateFormat = "yyyy-MM-dd'T'HH:mm"
    return formatter.string(from: date)
  }

  /// A fresh form key: the message's idempotency key is `console:PERSON:KEY`.
  static func newKey() -> String { String(ConsoleSession.randomToken().prefix(22)) }

  static func isKey(_ text: String) -> Bool {
    (8...43).contains(text.utf8.count) && ConsoleSession.isBase64url(text[...])
  }
}
