import Foundation
import Testing

@testable import CommsCore

/// The compose form: its fields read into the API's request body (so a
/// message from the console is checked as one from the API), a refusal
/// named by the form field it concerns, and a draft or earlier message
/// shown again in the same fields.
@Suite struct ComposeFormTests {
  static let languages = ["da", "en", "ar"]

  static func form(_ text: String) throws -> ComposeForm {
    ComposeForm(try FormBody.parse(Array(text.utf8)))
  }

  /// The body as canonical JSON (sorted keys), to compare whole.
  static func json(_ object: [String: Any]) throws -> String {
    let data = try JSONSerialization.data(
      withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
  }

  static func body(_ text: String, languages: [String] = languages) throws -> (
    json: String, language: String
  ) {
    let (object, language) = try form(text).body(languages: languages)
    return (try json(object), language)
  }

  /// The refusal `text` gives, or nil.
  static func refusal(_ text: String) throws -> ComposeForm.Refusal? {
    let form = try form(text)
    do {
      _ = try form.body(languages: languages)
      return nil
    } catch {
      return error
    }
  }

  @Test func aBlankMessageGivesItsLanguageTextsTranslationsAndAudiences() throws {
    let form = try Self.form(
      "csrf=tok&subject.da=Vand&body.da=Kog+vandet%0Af%C3%B8r+brug&subject.en=Water"
        + "&body.en=Boil+it&audiences=staff&audiences=relatives&subject.de=Wasser&key=k1")
    #expect(form.values["csrf"] == nil && form.values["audiences"] == nil)
    #expect(form.audiences == ["staff", "relatives"])
    #expect(form["key"] == "k1" && form["missing"] == "")
    let (object, language) = try form.body(languages: Self.languages)
    #expect(language == "da")
    #expect(
      try Self.json(object)
        == #"{"audiences":["staff","relatives"],"body":"Kog vandet\nfør brug","language":"da","#
        + #""subject":"Vand","translations":{"en":{"body":"Boil it","subject":"Water"}}}"#)
  }

  @Test func theFirstLanguageWithATextIsTheMessagesOwn() throws {
    let (json, language) = try Self.body("body.en=Only+English&subject.ar=%D9%85")
    #expect(language == "en")
    #expect(
      json
        == #"{"audiences":[],"body":"Only English","language":"en","subject":"","#
        + #""translations":{"ar":{"body":"","subject":"م"}}}"#)
    // A first value wins over a repeated field.
    let (twice, _) = try Self.body("subject.da=En&subject.da=To&body.da=x")
    #expect(twice.contains(#""subject":"En""#))
  }

  @Test func smsTextsGoToSmsBody() throws {
    let (json, _) = try Self.body(
      "subject.da=Vand&body.da=Lang&sms.da=+Kort+&subject.en=Water&body.en=Long&sms.en=Short"
        + "&sms.ar=alone")
    #expect(
      json
        == #"{"audiences":[],"body":"Lang","language":"da","sms_body":"Kort","subject":"Vand","#
        + #""translations":{"en":{"body":"Long","sms_body":"Short","subject":"Water"}}}"#)
  }

  @Test func noTextAndNoTemplateIsRefusedAtTheFirstSubject() throws {
    for text in ["", "audiences=staff", "subject.da=+++&body.da=%0A", "sms.da=only+sms"] {
      let refusal = try #require(try Self.refusal(text), "\(text)")
      #expect(refusal.field == "subject.da", "\(text)")
      #expect(refusal.message.contains("template"))
    }
    do {
      _ = try ComposeForm(FormBody()).body(languages: ["en", "da"])
      Issue.record("an empty form was taken")
    } catch {
      #expect(error.field == "subject.en")
    }
  }

  @Test func aTemplateGivesItsNameAndTrimmedValues() throws {
    let (json, language) = try Self.body(
      "template=vandforsyning&var.fra=+08%3A00+&var.til=12:00%09&var.tom=&audiences=staff"
        + "&subject.da=ignored")
    #expect(language == "da")
    #expect(
      json
        == #"{"audiences":["staff"],"template":"vandforsyning","#
        + #""vars":{"fra":"08:00","til":"12:00","tom":""}}"#)
    // Audiences only when some were checked: the template's own count then.
    let (bare, _) = try Self.body("template=vandforsyning")
    #expect(bare == #"{"template":"vandforsyning","vars":{}}"#)
    // A blank template name is no template.
    #expect(try Self.refusal("template=+&var.x=1")?.field == "subject.da")
  }

  @Test func whereIsReadIntoConditions() throws {
    let (object, _) = try Self.form("template=t&where=unit%3Dsolgaarden%3B+role%3Dnurse%2Ccook")
      .body(languages: Self.languages)
    let conditions = try #require(object["where"] as? [String: [String]])
    #expect(conditions == ["unit": ["solgaarden"], "role": ["nurse", "cook"]])
    #expect(
      try ComposeForm.conditions("Unit = a ;\n unit=b, c ;;\n\n role=x")
        == ["unit": ["a", "b", "c"], "role": ["x"]])
    #expect(try ComposeForm.conditions(" ; \n").isEmpty)
    for bad in ["unit", "unit=", "=x", "unit=a; role", "unit=,"] {
      #expect(throws: ComposeForm.Refusal.self, "\(bad)") { try ComposeForm.conditions(bad) }
    }
    let refusal = try #require(try Self.refusal("template=t&where=unit"))
    #expect(refusal.field == "where" && refusal.message.contains("\"unit\""))
    #expect(try Self.refusal("template=t&where=+")?.field == nil, "a blank where is none")
  }

  @Test func expiresAtIsLocalCopenhagenTime() throws {
    let (winter, _) = try Self.body("template=t&expires_at=2026-12-03T14:00")
    #expect(winter.contains(#""expires_at":"2026-12-03T13:00:00.000Z""#), "\(winter)")
    let (summer, _) = try Self.body("template=t&expires_at=2026-07-01T14:00")
    #expect(summer.contains(#""expires_at":"2026-07-01T12:00:00.000Z""#), "\(summer)")
    let (zoned, _) = try Self.body("template=t&expires_at=2026-12-03T14:00:00%2B01:00")
    #expect(zoned.contains(#""expires_at":"2026-12-03T13:00:00.000Z""#), "\(zoned)")
    for bad in ["tomorrow", "2026-12-32T14:00", "2026-03-29T02:30"] {
      let refusal = try #require(try Self.refusal("template=t&expires_at=\(bad)"), "\(bad)")
      #expect(refusal.field == "expires_at", "\(bad)")
      #expect(refusal.message.contains(bad), "\(refusal.message)")
    }
    // not_before passes as written: the API reads it.
    let (release, _) = try Self.body("template=t&not_before=2026-12-03T07:00")
    #expect(release.contains(#""not_before":"2026-12-03T07:00""#))
  }

  @Test func confirmAsksWithOrWithoutATimeOrDeclines() throws {
    func confirm(_ fields: String) throws -> Any? {
      try Self.form("template=t&" + fields).body(languages: Self.languages).object["confirm"]
    }
    #expect(try confirm("confirm=ask") as? Bool == true)
    #expect(try confirm("confirm=ask&confirm_within=+") as? Bool == true)
    #expect(try confirm("confirm=ask&confirm_within=2h") as? [String: String] == ["within": "2h"])
    #expect(try confirm("confirm=no&confirm_within=2h") as? Bool == false)
    #expect(try confirm("confirm=") == nil, "as the audiences ask")
    #expect(try confirm("confirm_within=2h") == nil)
    #expect(try confirm("") == nil)
  }

  @Test func exercisePriorityAndKindPassThrough() throws {
    let (json, _) = try Self.body(
      "template=t&exercise=on&priority=flash&kind=update&audiences=police")
    #expect(
      json
        == #"{"audiences":["police"],"kind":"update","mode":"exercise","priority":"flash","#
        + #""template":"t","vars":{}}"#)
    for off in ["exercise=off", "exercise=", "exercise=ON", ""] {
      let (plain, _) = try Self.body("template=t&" + off)
      #expect(!plain.contains("mode"), "\(off)")
    }
  }

  @Test(arguments: [
    ("subject", "subject.da"), ("body", "body.da"), ("sms_body", "sms.da"),
    ("translations.en.body", "body.en"), ("translations.en.subject", "subject.en"),
    ("translations.ar.sms_body", "sms.ar"), ("vars.fra", "var.fra"), ("where", "where"),
    ("where.unit", "where"), ("confirm", "confirm"), ("confirm.within", "confirm"),
    ("audiences", "audiences"), ("priority", "priority"), ("kind", "kind"),
    ("expires_at", "expires_at"), ("not_before", "not_before"), ("template", "template"),
    ("mode", "mode"), ("translations", "subject.da"), ("language", "subject.da"),
    ("operator", "general"), ("idempotency_key", "general"), ("", "general"),
  ])
  func anAPIFieldIsNamedByItsFormField(api: String, form: String) {
    #expect(ComposeForm.formField(api, language: "da") == form)
  }

  @Test func theMessagesOwnLanguageNamesItsFields() {
    #expect(ComposeForm.formField("subject", language: "en") == "subject.en")
    #expect(ComposeForm.formField("sms_body", language: "ar") == "sms.ar")
    #expect(ComposeForm.formField("translations", language: "en") == "subject.en")
  }

  static func request() -> SendRequest {
    SendRequest(
      audiences: ["staff", "relatives"], priority: .flash, kind: .update, contents: [:],
      sender: Sender(kind: .console, name: "anna", origin: "192.0.2.7"),
      filter: RecipientFilter(conditions: [
        .init(attribute: "unit", values: ["solgaarden"]),
        .init(attribute: "role", values: ["nurse", "cook"]),
      ]),
      supersedes: MessageID(rawValue: "msg_01KBX6QW1M8V7Y2D3E4F5G6H7J"),
      expiresAt: Timestamp.parse("2026-12-03T13:00:00.000Z"), mode: .exercise)
  }

  @Test func aTemplateDraftShowsAgainAndSendsTheSameBody() throws {
    var request = Self.request()
    request.template = "vandforsyning"
    request.templateValues = ["fra": "08:00", "til": "12:00"]
    let form = ComposeForm(DraftContent(request))
    #expect(form["template"] == "vandforsyning")
    #expect(form["var.fra"] == "08:00" && form["var.til"] == "12:00")
    #expect(form["where"] == "unit=solgaarden; role=nurse,cook")
    #expect(form["expires_at"] == "2026-12-03T14:00")
    #expect(form["exercise"] == "on" && form["priority"] == "flash" && form["kind"] == "update")
    #expect(form["supersedes"] == "msg_01KBX6QW1M8V7Y2D3E4F5G6H7J")
    #expect(form.audiences == ["staff", "relatives"])
    let (object, language) = try form.body(languages: Self.languages)
    #expect(language == "da")
    #expect(
      try Self.json(object)
        == #"{"audiences":["staff","relatives"],"expires_at":"2026-12-03T13:00:00.000Z","#
        + #""kind":"update","mode":"exercise","priority":"flash","template":"vandforsyning","#
        + #""vars":{"fra":"08:00","til":"12:00"},"#
        + #""where":{"role":["nurse","cook"],"unit":["solgaarden"]}}"#)
    // The form's fields, posted again, read back to the same body.
    let posted = FormBody(
      form.values.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        + form.audiences.map { (name: "audiences", value: $0) })
    let reread = try ComposeForm(try FormBody.parse(Array(posted.encoded.utf8)))
      .body(languages: Self.languages)
    #expect(try Self.json(reread.object) == (try Self.json(object)))
  }

  /// The API takes `mode = test`, and superseding from the console copies
  /// the old message's mode into the form: a test message's update, or a
  /// test draft opened in the console, must not go out as a real alert.
  @Test func aTestModeIsKeptThroughTheForm() throws {
    var request = Self.request()
    request.template = "vandforsyning"
    request.templateValues = [:]
    request.mode = .test
    let form = ComposeForm(DraftContent(request))
    #expect(form["exercise"] != "on", "not made an exercise either")
    let mode = try form.body(languages: Self.languages).object["mode"] as? String
    #expect(mode == "test")
  }

  @Test func aBlankDraftShowsItsTextsAndConfirmation() throws {
    var request = Self.request()
    request.mode = .actual
    request.filter = RecipientFilter()
    request.expiresAt = nil
    request.supersedes = nil
    request.contents = [
      "da": MessageContent(subject: "Vand", body: "Kog vandet", sms: "Kog"),
      "en": MessageContent(subject: "Water", body: "Boil it"),
    ]
    request.confirmation = ConfirmationRequest(withinSeconds: 7200)
    let form = ComposeForm(DraftContent(request))
    #expect(form["subject.da"] == "Vand" && form["sms.da"] == "Kog" && form["body.en"] == "Boil it")
    #expect(form["sms.en"] == "" && form["template"] == "" && form["exercise"] == "")
    #expect(form["confirm"] == "ask" && form["confirm_within"] == "2h")
    let (object, _) = try form.body(languages: Self.languages)
    #expect(
      try Self.json(object)
        == #"{"audiences":["staff","relatives"],"body":"Kog vandet","confirm":{"within":"2h"},"#
        + #""kind":"update","language":"da","priority":"flash","sms_body":"Kog","subject":"Vand","#
        + #""translations":{"en":{"body":"Boil it","subject":"Water"}}}"#)

    request.confirmation = nil
    request.declinesConfirmation = true
    let declined = ComposeForm(DraftContent(request))
    #expect(declined["confirm"] == "no")
    #expect(try declined.body(languages: Self.languages).object["confirm"] as? Bool == false)
  }
}
