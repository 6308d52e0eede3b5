import Foundation
import Testing

@testable import CommsCore

/// Templates as a crisis team writes them: placeholders checked against the
/// declared variables in every language, a file's problems named by line,
/// a send refused naming the variable it lacks, and the shipped examples
/// valid against the example configuration.
@Suite struct MessageTemplateTests {
  static let ban = """
    description = "Besøgsforbud"
    audiences = ["relatives"]
    priority = "urgent"
    expires = "3d"

    [variables]
    enhed = { description = "Plejecentrets navn", example = "Solgården" }
    fra = "Fra hvornår"

    [da]
    subject = "Besøgsforbud på {{enhed}}"
    body = \"\"\"
    Fra {{ fra }} er der besøgsforbud på {{enhed}}.\"\"\"

    [ar]
    subject = "منع الزيارة في {{enhed}}"
    body = "اعتبارا من {{fra}}"
    """

  static func read(_ text: String, audiences: Set<String>? = nil) throws(ConfigErrors)
    -> MessageTemplate
  {
    try MessageTemplateReader.parse(
      Data(text.utf8), file: "besoegsforbud.toml", name: "besoegsforbud", defaultLanguage: "da",
      audiences: audiences)
  }

  static func problems(_ text: String, audiences: Set<String>? = nil) -> [String] {
    do {
      _ = try read(text, audiences: audiences)
      return []
    } catch {
      return error.errors.map(\.description)
    }
  }

  @Test func rendersEveryLanguageWithTheValues() throws {
    let template = try Self.read(Self.ban)
    let contents = try template.render(["enhed": "Solgården", "fra": " 26.11 kl. 12 "])
    #expect(contents["da"]?.subject == "Besøgsforbud på Solgården")
    #expect(contents["da"]?.body == "Fra 26.11 kl. 12 er der besøgsforbud på Solgården.")
    #expect(contents["ar"]?.body == "اعتبارا من 26.11 kl. 12")
    #expect(template.priority == .urgent)
    #expect(template.expires == .seconds(3 * 86_400))
  }

  @Test func aMissingUnknownOrBadValueIsRefusedNamingTheVariable() throws {
    let template = try Self.read(Self.ban)
    func field(_ values: [String: String]) -> String? {
      do {
        _ = try template.render(values)
        return nil
      } catch { return error.field }
    }
    #expect(field(["enhed": "Solgården"]) == "vars.fra")
    #expect(field(["enhed": "Solgården", "fra": "1", "til": "2"]) == "vars.til")
    #expect(field(["enhed": "Sol\ngården", "fra": "1"]) == "vars.enhed")
    #expect(field(["enhed": "  ", "fra": "1"]) == "vars.enhed")
    #expect(field(["enhed": String(repeating: "x", count: 501), "fra": "1"]) == "vars.enhed")
  }

  @Test func aTranslationLackingAVariableIsNamedWithItsLine() {
    let broken = Self.ban.replacingOccurrences(
      of: "body = \"اعتبارا من {{fra}}\"", with: "body = \"x\"")
    let problems = Self.problems(broken)
    #expect(problems.count == 1)
    #expect(
      problems.first?.contains("besoegsforbud.toml:15: ar: lacks {{fra}}") == true, "\(problems)")
  }

  @Test func anUndeclaredOrMalformedPlaceholderIsNamedWithItsLine() {
    let undeclared = Self.ban.replacingOccurrences(of: "på {{enhed}}.", with: "på {{enheden}}.")
    #expect(
      Self.problems(undeclared).contains {
        $0.contains(":12: da.body: {{enheden}} is not declared")
      },
      "\(Self.problems(undeclared))")
    let unclosed = Self.ban.replacingOccurrences(of: "på {{enhed}}.", with: "på {{enhed.")
    #expect(
      Self.problems(unclosed).contains { $0.contains(":12: da.body: does not render") },
      "\(Self.problems(unclosed))")
    let section = Self.ban.replacingOccurrences(
      of: "\"Besøgsforbud på {{enhed}}\"", with: "\"{{#enhed}}x{{/enhed}}\"")
    #expect(Self.problems(section).contains { $0.contains("da.subject: does not render") })
  }

  @Test func unknownKeysAudiencesAndAMissingDefaultLanguageAreNamed() {
    #expect(
      Self.problems(Self.ban + "\nprioritet = \"flash\"").contains {
        $0.contains("prioritet: unknown key")
      })
    #expect(
      Self.problems(Self.ban, audiences: ["staff"]).contains {
        $0.contains("audiences: no audience \"relatives\" is configured")
      })
    let english = Self.ban.replacingOccurrences(of: "[da]", with: "[en]")
    #expect(
      Self.problems(english).contains { $0.contains("no text in the default language \"da\"") })
  }

  @Test func theShippedExamplesAreValidForTheExampleConfiguration() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let configuration = try ConfigurationLoader.load(
      path: root.appendingPathComponent("config/example/commsd.toml").path)
    let library = configuration.templates
    #expect(library.names() == ["alt-vel", "besoegsforbud", "besoegstider", "fremmoede"])
    for name in library.names() {
      let template = try library.template(name)
      #expect(Set(template.translations.keys) == ["da", "en", "ar"], "\(name)")
      _ = try template.render(template.exampleValues)
    }
  }

  @Test func aTemplateNameIsNeverAPath() {
    let library = TemplateLibrary(folder: "/tmp", defaultLanguage: "da")
    for name in ["../etc/passwd", "a/b", "", ".hidden", "Stor"] {
      #expect(throws: IntakeError.self) { try library.template(name) }
    }
  }

  /// Seeded fuzz of the placeholder parser and the file reader: never a
  /// trap, and a text that parses renders back to itself with every
  /// placeholder as written.
  @Test func fuzzedTemplatesNeverTrap() {
    var generator = SeededGenerator(state: 0x7e3a_11c5)
    let pieces = [
      "{{", "}}", "{", "}", "enhed", " ", "\n", "æ", "{{enhed}}", "\"\"\"", "=", "[da]", "x",
    ]
    for _ in 0..<2_000 {
      let text = (0..<Int.random(in: 0...12, using: &generator)).map { _ in
        pieces.randomElement(using: &generator)!
      }.joined()
      if let parsed = try? TemplateText.parse(text) {
        let echo = parsed.render(
          Dictionary(uniqueKeysWithValues: parsed.variables.map { ($0, "{{\($0)}}") }))
        #expect(
          echo.replacingOccurrences(of: " ", with: "")
            == text.replacingOccurrences(of: " ", with: ""))
      }
      _ = Self.problems(Self.ban + "\n" + text)
      _ = Self.problems(text)
    }
  }
}
