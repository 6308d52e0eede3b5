import ArgumentParser
import CommsCore
import Foundation

/// `commsd template`: the standard messages prepared in calm times.
struct Template: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Message templates: list, show, check, render.",
    discussion: """
      A template is a file NAME.toml in the templates folder next to the \
      configuration (or where `templates` points): audiences, priority, kind, \
      expiry, confirmation, and subject, body and SMS text per language with \
      {{name}} placeholders for its declared variables. Send one with \
      `commsd send --template NAME --var name=value …`; rehearse it with \
      --mode exercise. See config/example/templates.
      """,
    subcommands: [TemplateList.self, TemplateShow.self, TemplateCheck.self, TemplateRender.self])

  /// The template `name`, or its problems printed and exit 65.
  static func load(_ name: String, _ settings: HandOverSettings, command: String) throws
    -> MessageTemplate
  {
    do throws(IntakeError) {
      return try settings.templates.template(name)
    } catch {
      printError("\(command): \(error.message)")
      throw ExitCode(65)
    }
  }
}

struct TemplateList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "The templates, with their audiences and languages.")

  @OptionGroup var options: ConfigOption

  func run() async throws {
    let settings = try options.handOver()
    let library = settings.templates
    let names = library.names()
    guard !names.isEmpty else {
      print("no templates in \(library.folder)")
      return
    }
    var rows = [["NAME", "AUDIENCES", "LANGUAGES", "VARIABLES", "DESCRIPTION"]]
    for name in names {
      do throws(IntakeError) {
        let template = try library.template(name)
        rows.append([
          name, template.audiences.joined(separator: ","),
          template.translations.keys.sorted().joined(separator: ","),
          template.variables.map(\.name).joined(separator: ","), template.description,
        ])
      } catch {
        rows.append([name, "", "", "", "BROKEN: commsd template check \(name)"])
      }
    }
    print(Dashboard.table(rows), terminator: "")
  }
}

struct TemplateShow: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "A template's settings, variables and texts as written.")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The template's name.")
  var name: String

  func run() async throws {
    let template = try Template.load(name, try options.handOver(), command: "commsd template show")
    var lines = ["\(template.name): \(template.description)", "file \(template.file)"]
    lines.append("audiences \(template.audiences.joined(separator: ", "))")
    lines.append(
      "priority \(template.priority?.rawValue ?? "normal"), kind \(template.kind?.rawValue ?? "alert")"
    )
    if let expires = template.expires {
      lines.append("expires \(DurationText.format(expires)) after release")
    }
    if let confirmation = template.confirmation {
      lines.append("asks readers to confirm within \(confirmation.withinSeconds / 60) min")
    }
    lines.append("")
    lines.append("variables:")
    for variable in template.variables {
      lines.append(
        "  \(variable.name): \(variable.description)"
          + (variable.example.map { " (e.g. \($0))" } ?? ""))
    }
    for (language, translation) in template.translations.sorted(by: { $0.key < $1.key }) {
      lines.append("")
      lines.append("[\(language)]")
      lines.append("subject: \(translation.subject.render(Self.placeholders(template)))")
      lines.append(translation.body.render(Self.placeholders(template)))
      if let sms = translation.sms {
        lines.append("sms: \(sms.render(Self.placeholders(template)))")
      }
    }
    print(lines.joined(separator: "\n"))
  }

  /// Each variable shown as written, `{{name}}`.
  static func placeholders(_ template: MessageTemplate) -> [String: String] {
    template.variables.reduce(into: [:]) { $0[$1.name] = "{{\($1.name)}}" }
  }
}

struct TemplateCheck: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Check templates (all, or those named); exit 65 when one has a problem.",
    discussion: """
      Each file is read as sending would read it: every translation must use \
      exactly the declared variables, the default language must be there, \
      the audiences must be configured. Then each is rendered with its \
      examples and checked as intake would check the message (subject \
      length, one line, SMS segments).
      """)

  @OptionGroup var options: ConfigOption

  @Argument(help: "Templates to check; all when none is named.")
  var names: [String] = []

  func run() async throws {
    let configuration = try options.load()
    let library = configuration.templates
    let names = self.names.isEmpty ? library.names() : self.names
    if names.isEmpty { print("no templates in \(library.folder)") }
    // Intake's own checks, on a store opened only to read.
    let intake = (try? configuration.openStore(for: .reading)).map {
      Intake(configuration: configuration, store: $0)
    }
    if intake == nil {
      printError(
        "commsd template check: the store \(configuration.storeDescription) cannot be opened: the files are checked, the rendered messages not as intake would"
      )
    }
    var broken = 0
    for name in names {
      do throws(IntakeError) {
        let template = try library.template(name)
        var overrides = MessageTemplate.Overrides()
        overrides.mode = .exercise
        let request = try template.request(
          values: template.exampleValues, overrides: overrides,
          sender: Sender(kind: .cli, name: "template check", origin: "local"), now: Date())
        try intake?.validate(request)
        print(
          "ok \(name) (\(template.translations.keys.sorted().joined(separator: ", ")); \(template.variables.count) variables)"
        )
      } catch {
        broken += 1
        printError(
          "commsd template check: \(name): \(error.field == "template" ? "" : "\(error.field): ")\(error.message)"
        )
      }
    }
    if broken > 0 { throw ExitCode(65) }
  }
}

struct TemplateRender: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "render",
    abstract: "Show what a template says with its variables filled in, per language.")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The template's name.")
  var name: String

  @Option(
    name: .customLong("var"),
    help: ArgumentHelp(
      "A variable's value (repeat for each); without any, the examples.", valueName: "NAME=VALUE"))
  var vars: [String] = []

  @Option(help: "Only this language.")
  var language: String?

  func run() async throws {
    let command = "commsd template render"
    let template = try Template.load(name, try options.handOver(), command: command)
    var values = template.exampleValues
    if !vars.isEmpty {
      values = [:]
      for text in vars {
        let (key, value) = try InputText.split(
          text, option: "--var", shape: "NAME=VALUE", example: "enhed=Solgården", command: command)
        values[key] = value
      }
    }
    let contents: [String: MessageContent]
    do throws(IntakeError) {
      contents = try template.render(values)
    } catch {
      printError("\(command): \(error)")
      throw ExitCode(65)
    }
    var blocks: [String] = []
    for (code, content) in contents.sorted(by: { $0.key < $1.key })
    where language == nil || language == code {
      var block = ["[\(code)]", "subject: \(content.subject)", content.body]
      if let sms = content.sms { block.append("sms: \(sms)") }
      blocks.append(block.joined(separator: "\n"))
    }
    if vars.isEmpty { blocks.insert("(example values; give --var NAME=VALUE for others)", at: 0) }
    print(blocks.joined(separator: "\n\n"))
  }
}
