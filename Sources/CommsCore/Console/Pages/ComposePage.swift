import Foundation

/// The compose page: choose a template (or none), write or fill in the
/// texts in each language, choose audiences, narrow them, set priority,
/// expiry, release and confirmation, mark an exercise; see whom it
/// reaches and how it looks on each channel; send or keep as a draft.
/// Every refusal is shown by its field.
enum ComposePage {
  static func render(
    form: ComposeForm, errors: [String: String], preview: DryRunReport?, caller: ConsoleCaller,
    templates: [String], template: MessageTemplate?, languages: [String], audiences: [String],
    displayName: (String) -> String
  ) -> Markup {
    let words = caller.words
    func error(_ field: String) -> Markup { ConsoleFrame.fieldError(errors[field]) }
    func marked(_ field: String) -> Markup { errors[field] == nil ? "" : " field-error" }
    func text(
      _ name: String, _ label: String, hint: String = "", placeholder: String = "",
      type: String = "text"
    ) -> Markup {
      """
      <div class="\(marked(name))"><label for="\(name)">\(label) <span class="hint">\(hint)</span></label>
      <input type="\(type)" id="\(name)" name="\(name)" value="\(form[name])" placeholder="\(placeholder)">
      \(error(name))</div>
      """
    }
    let chosen = form.given("template")
    let options: [Markup] =
      ["<option value=\"\">\(words("— uden skabelon —", "— no template —"))</option>"]
      + templates.map {
        "<option value=\"\($0)\"\(chosen == $0 ? " selected" : "")>\($0)</option>"
      }
    var texts: [Markup] = []
    if let template {
      texts.append("<p class=\"meta\">\(template.description)</p>")
      for variable in template.variables {
        texts.append(
          text(
            "var.\(variable.name)", variable.name, hint: variable.description,
            placeholder: variable.example ?? ""))
      }
      let shown = template.translations.keys.sorted().joined(separator: ", ")
      texts.append("<p class=\"meta\">\(words("Sprog", "Languages")): \(shown)</p>")
    } else {
      for (index, code) in languages.enumerated() {
        let optional = index == 0 ? "" : words(" (valgfri oversættelse)", " (optional translation)")
        texts.append(
          """
          <fieldset lang="\(code)"><legend>\(code)\(optional)</legend>
          \(text("subject.\(code)", words("Emne", "Subject")))
          <div class="\(marked("body.\(code)"))"><label for="body.\(code)">\(words("Tekst", "Text"))</label>
          <textarea id="body.\(code)" name="body.\(code)" dir="auto">\(form["body.\(code)"])</textarea>\(error("body.\(code)"))</div>
          <div class="\(marked("sms.\(code)"))"><label for="sms.\(code)">SMS <span class="hint">\(words("(valgfri, ellers forkortes teksten)", "(optional; otherwise the text is shortened)"))</span></label>
          <textarea id="sms.\(code)" name="sms.\(code)" dir="auto" rows="2">\(form["sms.\(code)"])</textarea>\(error("sms.\(code)"))</div>
          </fieldset>
          """)
      }
    }
    let boxes: [Markup] = audiences.map { name in
      """
      <label><input type="checkbox" name="audiences" value="\(name)"\(form.audiences.contains(name) ? " checked" : "")> \(displayName(name))</label>
      """
    }
    let priorities: [Markup] = Priority.allCases.filter { $0 >= caller.scope.maxPriority }.map {
      let selected = (form.given("priority") ?? "normal") == $0.rawValue
      return
        "<option value=\"\($0.rawValue)\"\(selected ? " selected" : "")>\($0.rawValue)</option>"
    }
    let kinds: [Markup] = [MessageKind.alert, .update, .process, .allClear].map {
      let selected = (form.given("kind") ?? "alert") == $0.rawValue
      return
        "<option value=\"\($0.rawValue)\"\(selected ? " selected" : "")>\($0.rawValue)</option>"
    }
    let confirmChoices: [Markup] = [
      ("", words("Som målgruppen beder om", "As the audiences ask")),
      ("ask", words("Bed om bekræftelse", "Ask to confirm")),
      ("no", words("Ingen bekræftelse", "No confirmation")),
    ].map { value, label in
      "<option value=\"\(value)\"\(form["confirm"] == value ? " selected" : "")>\(label)</option>"
    }
    let hidden: [Markup] = ["key", "template", "supersedes", "draft", "revision", "mode"].compactMap
    {
      name in
      form.given(name).map { "<input type=\"hidden\" name=\"\(name)\" value=\"\($0)\">" }
    }
    let exercise = form["exercise"] == "on" || form["mode"] == "test"
    var heading = words("Ny besked", "Compose")
    if form.given("draft") != nil { heading = words("Kladde", "Draft") }
    var supersedes: Markup = ""
    if let old = form.given("supersedes") {
      heading = words("Erstat en besked", "Supersede a message")
      supersedes = """
        <p class="meta">\(words("Den nye besked erstatter", "The new message supersedes")) \
        <a href="/console/messages/\(old)">\(old)</a>: \(words("det, der ikke er sendt af den gamle, sendes ikke", "what has not gone of the old one never goes"))</p>
        """
    }
    // The live count's box keeps one height (the stylesheet's `#reach-live`)
    // whatever it holds, so the buttons below it never move when an answer
    // comes in: a tap meant for one button must not land on another.
    let reachNow =
      preview.map { reach($0, words: words) }
      ?? "<p class=\"meta\">\(words("Her står, hvem beskeden når", "Whom it reaches shows here"))</p>"
    let discard: Markup =
      form.given("draft") == nil
      ? ""
      : "<button type=\"submit\" name=\"action\" value=\"discard\" class=\"danger\" data-confirm=\"\(words("Kassér kladden?", "Discard the draft?"))\">\(words("Kassér", "Discard"))</button>"
    return """
      <h1>\(heading)</h1>
      \(supersedes)
      \(errors["general"].map { "<div class=\"alert\" role=\"alert\">\($0)</div>" as Markup })
      \(exercise ? "<div class=\"exercise-banner\">\(form["mode"] == "test" ? words("TEST — sendes som testbesked", "TEST — sent as a test message") : words("ØVELSE — modtagerne ser, at det er en øvelse", "EXERCISE — readers see that it is an exercise"))</div>" as Markup : "")
      <form method="get" action="/console/compose" class="stack card\(marked("template"))">
      <label for="template-choice">\(words("Skabelon", "Template"))</label>
      <select id="template-choice" name="template">\(options)</select>
      \(error("template"))
      <button type="submit" class="secondary">\(words("Brug skabelon", "Use template"))</button>
      </form>
      <form id="compose" class="stack" method="post" action="/console/compose">
      \(ConsoleFrame.csrf(caller))
      \(hidden)
      \(texts)
      <fieldset class="checks\(marked("audiences"))"><legend>\(words("Målgrupper", "Audiences"))</legend>
      \(boxes)
      \(error("audiences"))
      </fieldset>
      \(text("where", words("Kun dem, hvor", "Only those where"), hint: words("fx unit=solgaarden; flere med ;", "e.g. unit=solgaarden; more with ;"), placeholder: "unit=solgaarden"))
      <div class="grid two">
      <div class="\(marked("priority"))"><label for="priority">\(words("Prioritet", "Priority"))</label>
      <select id="priority" name="priority">\(priorities)</select>\(error("priority"))</div>
      <div class="\(marked("kind"))"><label for="kind">\(words("Art", "Kind"))</label>
      <select id="kind" name="kind">\(kinds)</select>\(error("kind"))</div>
      \(text("not_before", words("Send først", "Release at"), hint: words("(tom: nu)", "(empty: now)"), type: "datetime-local"))
      \(text("expires_at", words("Udløber", "Expires"), type: "datetime-local"))
      <div class="\(marked("confirm"))"><label for="confirm">\(words("Bekræftelse", "Confirmation"))</label>
      <select id="confirm" name="confirm">\(confirmChoices)</select>\(error("confirm"))</div>
      \(text("confirm_within", words("Bekræft inden", "Confirm within"), hint: words("fx 30m", "e.g. 30m"), placeholder: "30m"))
      </div>
      <div class="checks"><label><input type="checkbox" name="exercise"\(form["exercise"] == "on" ? " checked" : "")> \(words("Øvelse (markeres tydeligt for modtagerne)", "Exercise (clearly marked for readers)"))</label></div>
      <div id="reach-live" aria-live="polite">\(reachNow)</div>
      <p>
      <button type="submit" name="action" value="preview" class="secondary">\(words("Forhåndsvis og tæl", "Preview and count"))</button>
      <button type="submit" name="action" value="send" data-confirm="\(words("Send beskeden nu?", "Send the message now?"))">\(words("Send", "Send"))</button>
      <button type="submit" name="action" value="draft" class="secondary">\(words("Gem som kladde", "Save as draft"))</button>
      \(discard)
      </p>
      </form>
      \(preview.map { previews($0, words: words, displayName: displayName) })
      """
  }

  /// Whom the message reaches now: the live count's fragment.
  static func reach(_ report: DryRunReport, words: Words) -> Markup {
    let now = report.groups.reduce(0) { $0 + $1.now }
    var held: [String: Int] = [:]
    for group in report.groups { held.merge(group.held, uniquingKeysWith: +) }
    let heldText = held.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
    let warnings: [Markup] = report.warnings.map { "<p class=\"error\">\($0)</p>" }
    return """
      <p data-reach="\(report.recipients)"><strong>\(words("Når", "Reaches")) \(report.recipients) \(words("personer", "people"))</strong> · \
      \(words("nu", "now")): \(now)\
      \(heldText.isEmpty ? "" : " · \(words("holdes", "held")): \(heldText.joined(separator: ", "))")\
      \(report.unreachable.isEmpty ? "" : " · \(words("kan ikke nås", "unreachable")): \(report.unreachable.count)")</p>
      \(report.unreachable.isEmpty ? "" : "<p class=\"meta state-unreachable\">\(report.unreachable.prefix(30).joined(separator: ", "))</p>" as Markup)
      \(warnings)
      """
  }

  static func reachRefused(_ message: String, words: Words) -> Markup {
    "<p class=\"error\" data-reach=\"\">\(words("Kan ikke sendes endnu", "Cannot be sent yet")): \(message)</p>"
  }

  /// One preview per audience, language and channel.
  static func previews(_ report: DryRunReport, words: Words, displayName: (String) -> String)
    -> Markup
  {
    let cards: [Markup] = report.groups.map { group in
      let kind =
        group.sms != nil
        ? "sms"
        : group.channel.contains("teams") ? "teams" : group.channel == "email" ? "email" : "webhook"
      let sms: Markup =
        group.sms.map {
          "<p class=\"meta\">SMS: \($0.segments) × \($0.encoding) · \($0.source)</p>"
        } ?? ""
      let subject: Markup = group.subject.isEmpty ? "" : "<h3>\(group.subject)</h3>"
      return """
        <div class="preview \(kind)" lang="\(group.language)" dir="auto">
        <p class="meta">\(displayName(group.audience)) · \(group.language) · \(group.channel) · \(group.readers) \(words("læsere", "readers"))</p>
        \(subject)<pre>\(group.text)</pre>\(sms)
        </div>
        """
    }
    return """
      <h2>\(words("Sådan ser den ud", "How it looks"))</h2>
      \(cards)
      """
  }
}
