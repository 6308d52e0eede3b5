import Foundation

/// Reads one template file (`templates/NAME.toml`) and checks it whole,
/// every problem with file, line and key, as the configuration is:
///
/// ```toml
/// description = "Besøgsforbud på et plejecenter"
/// audiences = ["relatives"]
/// priority = "urgent"          # optional: flash, urgent, normal, bulk
/// kind = "alert"               # optional: alert, update, process, all-clear
/// expires = "3d"               # optional: from release
///
/// [variables]
/// enhed = { description = "Plejecentrets navn", example = "Solgården" }
/// fra = "Fra hvornår, fx 26.11 kl. 12"
///
/// [confirm]                    # optional, as [audiences.NAME.confirm]
/// within = "2h"
///
/// [da]
/// subject = "Besøgsforbud på {{enhed}}"
/// body = """…{{fra}}…"""
/// sms = "…"                    # optional
/// ```
public enum MessageTemplateReader {
  /// The template in `file`, named `name`. `defaultLanguage` must have a
  /// translation; `audiences`, when given, are the configured ones its
  /// audiences must be among.
  public static func read(
    file: String, name: String, defaultLanguage: String, audiences known: Set<String>? = nil
  ) throws(ConfigErrors) -> MessageTemplate {
    guard let data = FileManager.default.contents(atPath: file) else {
      throw ConfigErrors(errors: [
        ConfigError(file: file, line: 0, key: "", message: "cannot read the template file")
      ])
    }
    return try parse(
      data, file: file, name: name, defaultLanguage: defaultLanguage, audiences: known)
  }

  /// Reads template text already in hand (the fuzz test's entry).
  public static func parse(
    _ data: Data, file: String, name: String, defaultLanguage: String,
    audiences known: Set<String>? = nil
  ) throws(ConfigErrors) -> MessageTemplate {
    guard data.count <= 256 * 1024 else {
      throw ConfigErrors(errors: [
        ConfigError(file: file, line: 0, key: "", message: "larger than 256 KiB; not a template")
      ])
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw ConfigErrors(errors: [
        ConfigError(file: file, line: 0, key: "", message: "the file is not valid UTF-8")
      ])
    }
    let root = try ConfigurationLoader.table(text, file: file)
    let sink = ConfigErrorSink()
    var table = ConfigTable(root, path: "", file: file, sink: sink)
    let template = read(
      &table, file: file, name: name, defaultLanguage: defaultLanguage, known: known)
    if !sink.errors.isEmpty {
      throw ConfigErrors(errors: sink.errors.sorted { ($0.line, $0.key) < ($1.line, $1.key) })
    }
    return template
  }

  private static let fixedKeys: Set<String> = [
    "description", "audiences", "priority", "kind", "expires", "variables", "confirm",
  ]

  private static func read(
    _ table: inout ConfigTable, file: String, name: String, defaultLanguage: String,
    known: Set<String>?
  ) -> MessageTemplate {
    let description = table.string("description", required: true) ?? ""
    var audiences: [String] = []
    for (audience, line) in table.strings("audiences", required: true) ?? [] {
      if let known, !known.contains(audience) {
        table.fail(
          "audiences",
          "no audience \"\(Printable.quoted(audience))\" is configured (configured: \(known.sorted().joined(separator: ", ")))",
          line: line)
      } else {
        audiences.append(audience)
      }
    }
    if table.table["audiences"] != nil, audiences.isEmpty, known == nil {
      table.fail("audiences", "name at least one audience")
    }
    let priority = table.string("priority").flatMap { text -> Priority? in
      guard let value = Priority(rawValue: text) else {
        table.fail(
          "priority", "expected flash, urgent, normal or bulk, found \"\(Printable.quoted(text))\"")
        return nil
      }
      return value
    }
    let kind = table.string("kind").flatMap { text -> MessageKind? in
      guard let value = MessageKind(rawValue: text),
        [.alert, .update, .process, .allClear].contains(value)
      else {
        table.fail(
          "kind",
          "expected alert, update, process or all-clear, found \"\(Printable.quoted(text))\"")
        return nil
      }
      return value
    }
    let expires = table.duration("expires", in: .seconds(60)...DurationText.maximum)
    let reader = ConfigurationReader(
      file: file, base: URL(fileURLWithPath: file).deletingLastPathComponent(), sink: table.sink)
    let confirmation = table.table("confirm").flatMap(reader.readConfirmDefault)
    let variables = readVariables(table.table("variables"))
    var translations: [String: MessageTemplate.Translation] = [:]
    for key in table.keys.sorted() where !fixedKeys.contains(key) {
      guard Intake.isLanguageCode(key), var language = table.table(key) else {
        _ = table.string(key)  // marks it read; reported below
        table.fail(
          key,
          "unknown key; a template has description, audiences, priority, kind, expires, [variables], [confirm] and a table per language such as [da]"
        )
        continue
      }
      if let translation = readTranslation(&language, declared: variables) {
        translations[key] = translation
      }
      language.rejectUnknownKeys()
    }
    if translations[defaultLanguage] == nil, !table.keys.contains(defaultLanguage) {
      table.failTable(
        "no text in the default language \"\(defaultLanguage)\"; add a [\(defaultLanguage)] table")
    }
    table.rejectUnknownKeys()
    return MessageTemplate(
      name: name, file: file, description: description, audiences: audiences, priority: priority,
      kind: kind, expires: expires, confirmation: confirmation, variables: variables,
      translations: translations)
  }

  /// `[variables]`: `name = "description"` or `name = { description = "…", example = "…" }`.
  private static func readVariables(_ table: ConfigTable?) -> [MessageTemplate.Variable] {
    guard var table else { return [] }
    var variables: [MessageTemplate.Variable] = []
    for name in table.keys.sorted() {
      guard TemplateText.isName(name) else {
        _ = table.string(name)
        table.fail(
          name, "a variable's name is a lower-case letter, then letters, digits or _ (at most 32)")
        continue
      }
      if case .table = table.table[name]?.value, var detail = table.table(name) {
        let description = detail.string("description", required: true) ?? ""
        let example = detail.string("example")
        detail.rejectUnknownKeys()
        variables.append(.init(name: name, description: description, example: example))
      } else if let description = table.string(name) {
        variables.append(.init(name: name, description: description, example: nil))
      }
    }
    table.rejectUnknownKeys()
    return variables
  }

  /// One language's table: its texts parse, use only declared variables,
  /// and use every one of them (in subject, body or SMS text).
  private static func readTranslation(
    _ table: inout ConfigTable, declared: [MessageTemplate.Variable]
  ) -> MessageTemplate.Translation? {
    let names = Set(declared.map(\.name))
    var texts: [String: TemplateText] = [:]
    for key in ["subject", "body", "sms"] {
      guard let text = table.string(key, required: key != "sms") else { continue }
      let line = table.table[key]?.line ?? table.table.line
      do throws(TemplateText.Problem) {
        let parsed = try TemplateText.parse(text)
        for name in parsed.variables where !names.contains(name) {
          table.fail(
            key,
            "{{\(name)}} is not declared under [variables] (declared: \(declared.isEmpty ? "none" : declared.map(\.name).joined(separator: ", ")))",
            line: line)
        }
        texts[key] = parsed
      } catch {
        // A multi-line string starts on the line after its `"""`.
        table.fail(key, "does not render: \(error.message)", line: line + error.line - 1)
      }
    }
    guard let subject = texts["subject"], let body = texts["body"] else { return nil }
    let translation = MessageTemplate.Translation(
      subject: subject, body: body, sms: texts["sms"], line: table.table.line)
    for variable in declared where !translation.variables.contains(variable.name) {
      table.failTable(
        "lacks {{\(variable.name)}}: every translation must use each variable, or its readers miss it (\(variable.description))"
      )
    }
    return translation
  }
}
