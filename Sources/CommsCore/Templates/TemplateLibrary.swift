import Foundation

/// The `templates/` folder next to the configuration (`templates = "…"` to
/// put it elsewhere): one file per template, `NAME.toml`. Read on each use
/// rather than at start, so a template fixed in the file is the one the next
/// send uses, without a reload; `commsd template check` reads them all.
public struct TemplateLibrary: Sendable {
  public var folder: String
  public var defaultLanguage: String
  /// The configured audiences, when known (the CLI's hand-over settings
  /// know their names, the daemon its configuration).
  public var audiences: Set<String>?

  public init(folder: String, defaultLanguage: String, audiences: Set<String>? = nil) {
    self.folder = folder
    self.defaultLanguage = defaultLanguage
    self.audiences = audiences
  }

  /// A template's name follows the configuration's rule for names (a
  /// lower-case letter, then letters, digits, `-` and `_`), at most 64: it
  /// is a file name, never a path.
  public static func isName(_ text: String) -> Bool {
    text.utf8.count <= 64 && ConfigurationReader.isValidName(text)
  }

  /// The templates in the folder, by name, sorted; none when it is missing.
  public func names() -> [String] {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return files.filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }
      .filter(Self.isName).sorted()
  }

  public func path(of name: String) -> String {
    (folder as NSString).appendingPathComponent("\(name).toml")
  }

  /// The template `name`, read and checked now; a refusal names the field
  /// `template` (unknown name) or the file's problems.
  public func template(_ name: String) throws(IntakeError) -> MessageTemplate {
    guard Self.isName(name) else {
      throw IntakeError(
        field: "template",
        "\"\(Printable.quoted(String(name.prefix(64))))\" is not a template name (a lower-case letter, then letters, digits, - and _)"
      )
    }
    let file = path(of: name)
    guard FileManager.default.fileExists(atPath: file) else {
      let known = names()
      throw IntakeError(
        field: "template",
        "no template \"\(name)\" in \(folder) (\(known.isEmpty ? "there are none" : "there are: " + known.joined(separator: ", ")))"
      )
    }
    do {
      return try MessageTemplateReader.read(
        file: file, name: name, defaultLanguage: defaultLanguage, audiences: audiences)
    } catch {
      throw IntakeError(
        field: "template", "\(name) cannot be used until it is fixed:\n\(error.description)")
    }
  }
}

extension MessageTemplate {
  /// What the sender typed besides the variables; each given one wins over
  /// the template's own.
  public struct Overrides: Sendable {
    public var audiences: [String]?
    public var priority: Priority?
    public var kind: MessageKind?
    public var filter = RecipientFilter()
    public var mode: MessageMode = .actual
    public var notBefore: Date?
    public var expiresAt: Date?
    public var confirmation: ConfirmationRequest?
    public var declinesConfirmation = false
    public var supersedes: MessageID?

    public init() {}
  }

  /// The request this template makes with `values` filled in: its texts
  /// copied in, its expiry counted from the release (or now).
  public func request(
    values: [String: String], overrides: Overrides, sender: Sender, now: Date
  ) throws(IntakeError) -> SendRequest {
    var request = SendRequest(
      audiences: overrides.audiences ?? audiences,
      priority: overrides.priority ?? priority ?? .normal, kind: overrides.kind ?? kind ?? .alert,
      contents: try render(values), sender: sender, filter: overrides.filter,
      supersedes: overrides.supersedes,
      expiresAt: overrides.expiresAt
        ?? expires.map { max(now, overrides.notBefore ?? now).addingTimeInterval($0.seconds) },
      mode: overrides.mode, confirmation: overrides.confirmation ?? confirmation)
    request.declinesConfirmation = overrides.declinesConfirmation
    if overrides.declinesConfirmation { request.confirmation = nil }
    request.notBefore = overrides.notBefore
    request.template = name
    request.templateValues = values
    if overrides.expiresAt == nil { request.expiresAfterRelease = expires }
    return request
  }
}
