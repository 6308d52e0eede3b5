import Foundation
import Testing

@testable import CommsCore

@Suite struct ConfigurationLoaderTests {
  static let repository: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
  }()

  static let minimal = """
    data_dir = "var"
    [relays.local]
    url = "smtp://127.0.0.1:2525"
    from = "Krisestab <krisestab@kommune.example>"
    tls = "none"
    [endpoints.sms]
    url = "http://127.0.0.1:8099/sms"
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    [audiences.staff]
    display_name = "Personale"
    [[recipients]]
    id = "staff-001"
    name = "Mette Hansen"
    audiences = ["staff"]
    contacts = ["mette@kommune.example", "sms:+4512345678"]
    """

  func errors(_ text: String) -> [String] {
    do {
      _ = try ConfigurationLoader.parse(text, file: "/etc/commsd/commsd.toml")
      return []
    } catch {
      return error.errors.map(\.description)
    }
  }

  @Test func exampleConfigurationLoadsWithEveryAudience() throws {
    let configuration = try ConfigurationLoader.load(
      path: Self.repository + "/config/example/commsd.toml")
    #expect(
      Set(configuration.audiences.keys).isSuperset(of: ["staff", "relatives", "council", "police"]))
    for audience in ["staff", "relatives", "council", "police"] {
      #expect(configuration.directory.members(of: audience).count >= 3, "\(audience)")
    }
    #expect(configuration.dataDirectory == Self.repository + "/config/example/var")
    #expect(configuration.defaultRelay == "local")
    #expect(configuration.hash.count == 64)
    let contacts = configuration.recipients.flatMap(\.contacts)
    #expect(contacts.contains { $0.channel == .email })
    #expect(contacts.contains { $0.channel == .webhook })
  }

  @Test func readsContactsInOrderOfPreference() throws {
    let configuration = try ConfigurationLoader.parse(Self.minimal, file: "/etc/commsd/commsd.toml")
    #expect(
      configuration.recipients.first?.contacts == [
        .email(address: "mette@kommune.example"), .webhook(endpoint: "sms", address: "+4512345678"),
      ])
    #expect(configuration.dataDirectory == "/etc/commsd/var")
    #expect(configuration.retry == RetryPolicy())
  }

  @Test func wrongTypeNamesFileLineAndKey() {
    let text = Self.minimal.replacingOccurrences(
      of: "tls = \"none\"", with: "tls = \"none\"\nconcurrency = \"four\"")
    #expect(
      errors(text) == [
        "/etc/commsd/commsd.toml:6: relays.local.concurrency: expected an integer, found a string"
      ])
  }

  @Test func unknownKeyIsAnErrorNotIgnored() {
    let text = Self.minimal.replacingOccurrences(
      of: "data_dir = \"var\"", with: "data_dir = \"var\"\ndata_dri = \"x\"")
    #expect(
      errors(text).first?.hasPrefix("/etc/commsd/commsd.toml:2: data_dri: unknown key") == true)
  }

  @Test func missingRequiredKeyIsNamed() {
    let text = Self.minimal.replacingOccurrences(of: "url = \"smtp://127.0.0.1:2525\"\n", with: "")
    #expect(
      errors(text) == ["/etc/commsd/commsd.toml:2: relays.local.url: missing; this key is required"]
    )
  }

  @Test func badRecipientRowsAreEachReported() {
    let text =
      Self.minimal + """

        [[recipients]]
        id = "staff-001"
        name = "Duplicate"
        audiences = ["firemen"]
        contacts = ["teams:channel", "not an address"]
        """
    let found = errors(text)
    #expect(
      found.contains { $0.contains(":19: recipients[1].audiences: unknown audience \"firemen\"") })
    #expect(
      found.contains {
        $0.contains(
          ":20: recipients[1].contacts: a contact names no configured endpoint \"teams\"")
      })
    #expect(
      found.contains {
        $0.contains(":20: recipients[1].contacts: a contact is not a valid email address")
      })
    // The contacts are a person's: not quoted, since errors reach the journal and the audit.
    #expect(!found.contains { $0.contains("teams:channel") || $0.contains("not an address") })
  }

  @Test func duplicateRecipientIdIsRefused() {
    let text =
      Self.minimal + """

        [[recipients]]
        id = "staff-001"
        name = "Again"
        audiences = ["staff"]
        contacts = ["again@kommune.example"]
        """
    #expect(
      errors(text) == [
        "/etc/commsd/commsd.toml:17: recipients[1].id: duplicate recipient id \"staff-001\" (first defined at /etc/commsd/commsd.toml:12)"
      ])
  }

  @Test func badSecretAndURLAreExplained() {
    let text = Self.minimal
      .replacingOccurrences(of: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", with: "hunter2")
      .replacingOccurrences(of: "smtp://127.0.0.1:2525", with: "http://127.0.0.1:2525")
    let found = errors(text)
    #expect(found.contains { $0.contains("relays.local.url: expected an smtp:// or smtps:// URL") })
    #expect(
      found.contains { $0.contains("endpoints.sms.secret: expected a Standard Webhooks secret") })
  }

  @Test func syntaxErrorCarriesTheLine() {
    let found = errors("data_dir = \"var\"\n[relays.local]\nurl = \"smtp://unterminated\n")
    #expect(found.count == 1)
    #expect(found.first?.hasPrefix("/etc/commsd/commsd.toml:3:") == true)
  }

  @Test func secretsCanComeFromFiles() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "commsd-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n".write(
      to: directory.appendingPathComponent("sms.key"), atomically: true, encoding: .utf8)
    let text = Self.minimal.replacingOccurrences(
      of: "secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"", with: "secret_file = \"sms.key\"")
    let path = directory.appendingPathComponent("commsd.toml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let configuration = try ConfigurationLoader.load(path: path)
    #expect(
      configuration.endpoints["sms"]?.signingKey
        == WebhookSigner.key(fromSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
  }

  @Test func templateErrorsPointAtTheirKeyAndLanguage() {
    let text = Self.minimal.replacingOccurrences(
      of: "display_name = \"Personale\"",
      with:
        "display_name = \"Personale\"\n[audiences.staff.translations.en]\nfooter = \"{{buletin}}\"")
    let found = errors(text)
    #expect(found.count == 1, "\(found)")
    #expect(
      found.first?.hasPrefix(
        "/etc/commsd/commsd.toml:12: audiences.staff.translations.en.footer: unknown variable \"buletin\""
      )
        == true, "\(found)")
  }

  @Test func anSMSFormatIsReadAndItsErrorsPointAtItsKey() throws {
    let good = Self.minimal.replacingOccurrences(
      of: "display_name = \"Personale\"",
      with: "display_name = \"Personale\"\nsms_format = \"{{subject}}: {{first_paragraph}}\"")
    let configuration = try ConfigurationLoader.parse(good, file: "/etc/commsd/commsd.toml")
    #expect(
      configuration.audiences["staff"]?.template.base.smsFormat
        == "{{subject}}: {{first_paragraph}}")
    let bad = Self.minimal.replacingOccurrences(
      of: "display_name = \"Personale\"",
      with: "display_name = \"Personale\"\nsms_format = \"{{subjekt}} {{#x}}\"")
    let found = errors(bad)
    #expect(found.count == 1, "\(found)")
    #expect(
      found.first?.hasPrefix("/etc/commsd/commsd.toml:11: audiences.staff.sms_format: ") == true,
      "\(found)")
  }

  @Test func audienceTemplatesAndInlineAttributesAreRead() throws {
    let text = Self.minimal
      .replacingOccurrences(
        of: "display_name = \"Personale\"",
        with: """
          display_name = "Personale"
          reply_to = "Vagten <vagt@kommune.example>"
          footer = "Ring 7012 3456."
          [audiences.staff.translations.en]
          display_name = "Staff"
          """
      )
      .replacingOccurrences(
        of: "contacts = [\"mette@kommune.example\", \"sms:+4512345678\"]",
        with:
          "contacts = [\"mette@kommune.example\"]\nattributes = { unit = \"solgaarden\", role = \"nurse\" }"
      )
    let configuration = try ConfigurationLoader.parse(text, file: "/etc/commsd/commsd.toml")
    let staff = try #require(configuration.audiences["staff"])
    #expect(staff.template.replyTo == "Vagten <vagt@kommune.example>")
    #expect(staff.displayName(in: "en") == "Staff")
    #expect(staff.displayName(in: "ar") == "Personale")
    #expect(configuration.recipients.first?.attributes == ["unit": "solgaarden", "role": "nurse"])
  }
}
