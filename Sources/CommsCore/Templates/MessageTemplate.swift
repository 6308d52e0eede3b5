import Foundation

/// A standard message prepared in calm times (`templates/NAME.toml`): its
/// audiences, priority, kind, expiry and confirmation, its texts per
/// language with `{{name}}` placeholders, and the variables those take,
/// each with a description for the person filling it in at 3 a.m.
///
/// Read and checked whole (`MessageTemplateReader`): every translation uses
/// exactly the declared variables, so a reader in Arabic never gets a
/// visiting ban without its date. Sending renders it into an ordinary
/// message's contents: a later edit of the file changes no message already
/// queued or scheduled.
public struct MessageTemplate: Sendable {
  public struct Variable: Sendable, Equatable {
    public var name: String
    public var description: String
    /// A value that shows what is meant (`template show`, `template render` without `--var`).
    public var example: String?
  }

  /// Subject, body and (optionally) the SMS text in one language.
  public struct Translation: Sendable, Equatable {
    public var subject: TemplateText
    public var body: TemplateText
    public var sms: TemplateText?
    /// Where its table starts, for messages about it.
    public var line: Int

    /// The variables the three texts use together.
    public var variables: Set<String> {
      Set(subject.variables + body.variables + (sms?.variables ?? []))
    }
  }

  public var name: String
  public var file: String
  public var description: String
  public var audiences: [String]
  public var priority: Priority?
  public var kind: MessageKind?
  /// From release: copies not delivered by then are withdrawn.
  public var expires: Duration?
  public var confirmation: ConfirmationRequest?
  public var variables: [Variable]
  public var translations: [String: Translation]

  /// The longest value a variable takes: a name, a date, a phone number,
  /// a sentence; not a body.
  public static let maxValueLength = 500

  /// The contents per language with `values` filled in. An unknown or
  /// missing variable, or a value that is empty, too long or has a line
  /// break or control character, is refused naming `vars.NAME`.
  public func render(_ values: [String: String]) throws(IntakeError) -> [String: MessageContent] {
    let declared = Set(variables.map(\.name))
    for name in values.keys.sorted() where !declared.contains(name) {
      throw IntakeError(
        field: "vars.\(Printable.quoted(String(name.prefix(40))))",
        "template \(self.name) has no such variable (it takes: \(variableList))")
    }
    for variable in variables {
      guard let value = values[variable.name] else {
        throw IntakeError(
          field: "vars.\(variable.name)",
          "missing: template \(name) needs it (\(variable.description)); give --var \(variable.name)=…"
        )
      }
      let trimmed = value.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty {
        throw IntakeError(field: "vars.\(variable.name)", "must not be empty")
      }
      if trimmed.count > Self.maxValueLength {
        throw IntakeError(
          field: "vars.\(variable.name)",
          "is \(trimmed.count) characters; at most \(Self.maxValueLength) are allowed")
      }
      if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
        throw IntakeError(
          field: "vars.\(variable.name)",
          "must be one line without control characters (line breaks are refused)")
      }
    }
    let filled = values.mapValues { $0.trimmingCharacters(in: .whitespaces) }
    return translations.mapValues { translation in
      MessageContent(
        subject: translation.subject.render(filled), body: translation.body.render(filled),
        sms: translation.sms?.render(filled))
    }
  }

  /// Each variable's example, for a rendering that shows the shape.
  public var exampleValues: [String: String] {
    variables.reduce(into: [:]) { $0[$1.name] = $1.example ?? "‹\($1.name)›" }
  }

  var variableList: String {
    variables.isEmpty ? "none" : variables.map(\.name).joined(separator: ", ")
  }
}
