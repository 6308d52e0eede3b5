import Foundation

/// The JSON of `POST /v1/messages` (and of a supersede), read strictly: an
/// unknown member, a wrong type or a bad value is a 422 naming the field;
/// text that is not a JSON object is a 400.
///
/// ```json
/// {"audiences": ["relatives"], "priority": "urgent", "kind": "update",
///  "subject": "Besøg", "body": "…", "sms_body": "…", "language": "da",
///  "translations": {"en": {"subject": "Visits", "body": "…", "sms_body": "…"}},
///  "where": {"unit": ["solgaarden"]}, "expires_at": "2026-11-26T18:00:00+01:00",
///  "mode": "exercise", "not_before": "2026-11-26T14:00",
///  "confirm": {"within": "30m", "escalate_after": "15m", "escalate_to": "@deputy", "cycles": 2}}
/// ```
///
/// Or from a template, which gives the texts (and, unless the body gives
/// them, the audiences, priority, kind, expiry and confirmation):
/// `{"template": "besoegsforbud", "vars": {"enhed": "Solgården", "fra": "26.11 kl. 12"}}`.
/// `not_before` is RFC 3339, or a local time in Europe/Copenhagen without
/// offset (refused when the clocks skip it, and when they repeat it unless
/// it carries its offset).
struct MessageRequestBody {
  static let members: Set<String> = [
    "audiences", "priority", "kind", "subject", "body", "sms_body", "language", "translations",
    "where",
    "expires_at", "mode", "confirm", "template", "vars", "not_before",
  ]

  /// The send request, and the language of its `subject` and `body`;
  /// `sender` and `idempotencyKey` come from the caller.
  static func parse(
    _ bytes: [UInt8], defaultLanguage: String, sender: Sender, idempotencyKey: String?,
    templates: TemplateLibrary? = nil, now: Date = SystemClock().now()
  ) throws(Problem) -> (request: SendRequest, language: String) {
    let object = try JSONObject.parse(bytes)
    for key in object.keys where !members.contains(key) {
      throw .invalid(
        key, "unknown member; expected one of \(members.sorted().joined(separator: ", "))")
    }
    let notBefore = try releaseTime(object)
    if let name = try object.string("template") {
      var request = try templated(
        object, name: name, templates: templates, sender: sender, notBefore: notBefore, now: now)
      request.idempotencyKey = idempotencyKey
      return (request, defaultLanguage)
    }
    if object.members["vars"] != nil { throw .invalid("vars", "only with a template") }
    let audiences = try object.strings("audiences", required: true) ?? []
    let priority = try object.enumeration("priority", Priority.self) ?? .normal
    let kind = try object.enumeration("kind", MessageKind.self) ?? .alert
    if kind == .retraction {
      throw .invalid("kind", "retractions are made by cancelling with notify")
    }
    if kind.isConversation {
      throw .invalid("kind", "questions and answers go through /v1/inquiries")
    }
    let language = try object.string("language") ?? defaultLanguage
    var contents = [
      language: MessageContent(
        subject: try object.string("subject", required: true) ?? "",
        body: try object.string("body", required: true) ?? "",
        sms: try object.string("sms_body"))
    ]
    if let translations = try object.object("translations") {
      for (code, value) in translations.members {
        let field = "translations.\(code)"
        guard let entry = value as? [String: Any] else {
          throw .invalid(field, "expected an object with subject and body")
        }
        let translation = JSONObject(members: entry, path: field)
        for key in translation.keys where !["subject", "body", "sms_body"].contains(key) {
          throw .invalid("\(field).\(key)", "unknown member; expected subject, body and sms_body")
        }
        if contents[code] != nil {
          throw .invalid(field, "\(code) is the message's own language; give it once")
        }
        contents[code] = MessageContent(
          subject: try translation.string("subject", required: true) ?? "",
          body: try translation.string("body", required: true) ?? "",
          sms: try translation.string("sms_body"))
      }
    }
    var request = SendRequest(
      audiences: audiences, priority: priority, kind: kind, contents: contents,
      idempotencyKey: idempotencyKey, sender: sender, filter: try filter(object),
      expiresAt: try expiry(object), mode: try mode(object))
    (request.confirmation, request.declinesConfirmation) = try confirmChoice(object)
    request.notBefore = notBefore
    return (request, language)
  }

  /// `expires_at`: RFC 3339.
  static func expiry(_ object: JSONObject) throws(Problem) -> Date? {
    guard let text = try object.string("expires_at") else { return nil }
    guard let date = Timestamp.parse(text) else {
      throw .invalid("expires_at", "expected an RFC 3339 time such as 2026-11-26T18:00:00+01:00")
    }
    return date
  }

  /// `mode`: actual (the default), exercise or test.
  static func mode(_ object: JSONObject) throws(Problem) -> MessageMode {
    let mode = try object.enumeration("mode", MessageMode.self) ?? .actual
    if mode == .system { throw .invalid("mode", "expected actual, exercise or test") }
    return mode
  }

  /// `confirm`: an object (see `confirmation`), `true` for `{}`, or
  /// `false`, which declines what the audiences ask.
  static func confirmChoice(_ object: JSONObject) throws(Problem)
    -> (ConfirmationRequest?, declines: Bool)
  {
    guard let asked = object.members["confirm"] as? NSNumber,
      String(cString: asked.objCType) == "c"
    else { return (try confirmation(object), false) }
    return asked.boolValue ? (ConfirmationRequest(), false) : (nil, true)
  }

  /// `where`: attribute to a value or a non-empty array of values.
  static func filter(_ object: JSONObject) throws(Problem) -> RecipientFilter {
    var filter = RecipientFilter()
    if let conditions = try object.object("where") {
      for (attribute, value) in conditions.members.sorted(by: { $0.key < $1.key }) {
        let field = "where.\(attribute)"
        let values: [String]
        if let one = value as? String {
          values = [one]
        } else if let many = value as? [String], !many.isEmpty {
          values = many
        } else {
          throw .invalid(field, "expected a string or a non-empty array of strings")
        }
        filter.conditions.append(
          RecipientFilter.Condition(attribute: attribute.lowercased(), values: values))
      }
    }
    return filter
  }

  /// `not_before`: RFC 3339, or local in Europe/Copenhagen (`LocalTimeText`).
  static func releaseTime(_ object: JSONObject) throws(Problem) -> Date? {
    guard let text = try object.string("not_before") else { return nil }
    switch LocalTimeText.read(text, in: SendTimeText.zone) {
    case .success(let date): return date
    case .failure(let failure): throw .invalid("not_before", failure.description)
    }
  }

  /// A body naming a template: its texts, none of the body's own (which
  /// would contradict it); the rest may narrow or override it.
  static func templated(
    _ object: JSONObject, name: String, templates: TemplateLibrary?, sender: Sender,
    notBefore: Date?, now: Date
  ) throws(Problem) -> SendRequest {
    for key in ["subject", "body", "sms_body", "language", "translations"]
    where object.members[key] != nil {
      throw .invalid(key, "the template \(name) gives the texts; leave \(key) out")
    }
    guard let templates else { throw .invalid("template", "templates are not available here") }
    var values: [String: String] = [:]
    if let vars = try object.object("vars") {
      for (key, value) in vars.members {
        guard let text = value as? String else {
          throw .invalid("vars.\(Printable.quoted(String(key.prefix(40))))", "expected a string")
        }
        values[key] = text
      }
    }
    var overrides = MessageTemplate.Overrides()
    overrides.audiences = try object.strings("audiences")
    overrides.priority = try object.enumeration("priority", Priority.self)
    overrides.kind = try object.enumeration("kind", MessageKind.self)
    if let kind = overrides.kind, kind == .retraction || kind.isConversation {
      throw .invalid("kind", "expected alert, update, process or all-clear")
    }
    overrides.mode = try mode(object)
    overrides.expiresAt = try expiry(object)
    (overrides.confirmation, overrides.declinesConfirmation) = try confirmChoice(object)
    overrides.filter = try filter(object)
    overrides.notBefore = notBefore
    do throws(IntakeError) {
      return try templates.template(name).request(
        values: values, overrides: overrides, sender: sender, now: now)
    } catch {
      throw .invalid(error.field, error.message)
    }
  }

  /// `confirm`: `{}` for the defaults, or any of `within`, `escalate_after`
  /// (durations such as "30m"), `escalate_to` ("@deputy" or an audience),
  /// `cycles`, `responses_needed`.
  static func confirmation(_ object: JSONObject) throws(Problem) -> ConfirmationRequest? {
    guard let confirm = try object.object("confirm") else { return nil }
    let members: Set = ["within", "escalate_after", "escalate_to", "cycles", "responses_needed"]
    for key in confirm.keys where !members.contains(key) {
      throw .invalid(
        "confirm.\(key)", "unknown member; expected \(members.sorted().joined(separator: ", "))")
    }
    do {
      return try ConfirmationRequest.reading(
        within: try confirm.string("within"), escalateAfter: try confirm.string("escalate_after"),
        escalateTo: try confirm.string("escalate_to"),
        cycles: try confirm.integer("cycles", in: 1...5),
        responsesNeeded: try confirm.integer("responses_needed", in: 1...100_000))
    } catch let error as IntakeError {
      throw .invalid(
        apiField(error.field, language: "", defaultLanguage: ""), error.message)
    } catch let problem as Problem {
      throw problem
    } catch {
      throw .invalid("confirm", "\(error)")
    }
  }

  /// The API's name for a field intake refused (intake speaks the CLI's
  /// names: `audience`, `subject[en]`, `expires`).
  static func apiField(_ field: String, language: String, defaultLanguage: String) -> String {
    func content(_ part: String, _ code: String) -> String {
      code == language ? part : "translations.\(code).\(part)"
    }
    for part in ["subject", "body", "sms_body"] {
      if field == part { return content(part, defaultLanguage) }
      if field.hasPrefix(part + "["), field.hasSuffix("]") {
        return content(part, String(field.dropFirst(part.count + 1).dropLast()))
      }
    }
    switch field {
    case "audience": return "audiences"
    case "expires": return "expires_at"
    case "idempotency_key": return "Idempotency-Key"
    case "supersedes": return "id"
    case "confirm-within": return "confirm.within"
    case "escalate-after": return "confirm.escalate_after"
    case "escalate-to": return "confirm.escalate_to"
    case "cycles": return "confirm.cycles"
    case "responses-needed": return "confirm.responses_needed"
    case "language": return language == defaultLanguage ? "translations" : "language"
    default: return field
    }
  }
}

/// A JSON object read member by member, with errors naming `path.member`.
struct JSONObject {
  var members: [String: Any]
  var path: String

  var keys: [String] { members.keys.sorted() }

  /// `bytes` as a JSON object; a 400 when they are not one.
  static func parse(_ bytes: [UInt8]) throws(Problem) -> JSONObject {
    guard !bytes.isEmpty else {
      throw .malformed("the request body is empty; expected a JSON object")
    }
    let value: Any
    do {
      value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    } catch {
      throw .malformed("the request body is not valid JSON")
    }
    guard let object = value as? [String: Any] else {
      throw .malformed("expected a JSON object")
    }
    return JSONObject(members: object, path: "")
  }

  func field(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

  func string(_ name: String, required: Bool = false) throws(Problem) -> String? {
    guard let value = members[name], !(value is NSNull) else {
      if required { throw .invalid(field(name), "required") }
      return nil
    }
    guard let text = value as? String else {
      throw .invalid(field(name), "expected a string")
    }
    return text
  }

  func strings(_ name: String, required: Bool = false) throws(Problem) -> [String]? {
    guard let value = members[name], !(value is NSNull) else {
      if required { throw .invalid(field(name), "required") }
      return nil
    }
    guard let list = value as? [Any], list.allSatisfy({ $0 is String }) else {
      throw .invalid(field(name), "expected an array of strings")
    }
    return list.map { $0 as! String }
  }

  func enumeration<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type)
    throws(Problem) -> T? where T.RawValue == String
  {
    guard let text = try string(name) else { return nil }
    guard let value = T(rawValue: text) else {
      let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
      throw .invalid(field(name), "expected one of \(allowed); found \"\(text)\"")
    }
    return value
  }

  func object(_ name: String) throws(Problem) -> JSONObject? {
    guard let value = members[name], !(value is NSNull) else { return nil }
    guard let object = value as? [String: Any] else {
      throw .invalid(field(name), "expected an object")
    }
    return JSONObject(members: object, path: field(name))
  }

  /// A whole number in `range`; never a trap, whatever the number.
  func integer(_ name: String, in range: ClosedRange<Int>) throws(Problem) -> Int? {
    guard let value = members[name], !(value is NSNull) else { return nil }
    guard let number = value as? NSNumber, String(cString: number.objCType) != "c",
      let whole = Int(exactly: number.doubleValue), range.contains(whole)
    else {
      throw .invalid(
        field(name), "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
    }
    return whole
  }

  func bool(_ name: String) throws(Problem) -> Bool? {
    guard let value = members[name], !(value is NSNull) else { return nil }
    // JSON true/false arrive as NSNumbers of Objective-C type "c" (char),
    // numbers as "i", "q" or "d": 1 is not true here.
    guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else {
      throw .invalid(field(name), "expected true or false")
    }
    return number.boolValue
  }
}
