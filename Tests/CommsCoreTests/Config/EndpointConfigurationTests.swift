import Foundation
import Testing

@testable import CommsCore

/// `[endpoints.X]` formats and authentication: what each format needs, and
/// each mistake refused by `config check` with file:line:key.
@Suite final class EndpointConfigurationTests {
  let directory: URL

  init() throws {
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("endpoint-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try "t0ken\n".write(
      to: directory.appendingPathComponent("token"), atomically: true, encoding: .utf8)
  }

  deinit { try? FileManager.default.removeItem(at: directory) }

  func load(_ endpoint: String) -> Result<CommsCore.Configuration, ConfigErrors> {
    let text = """
      data_dir = "var"
      [audiences.staff]
      display_name = "Personale"
      [endpoints.x]
      \(endpoint)
      [[recipients]]
      id = "s1"
      name = "Søren"
      audiences = ["staff"]
      contacts = ["s1@kommune.example"]
      [relays.local]
      url = "smtp://127.0.0.1:2525"
      from = "Krisestab <krisestab@kommune.example>"
      """
    let file = directory.appendingPathComponent("commsd.toml").path
    do {
      return .success(try ConfigurationLoader.parse(text, file: file))
    } catch {
      return .failure(error)
    }
  }

  func errors(_ endpoint: String) -> [String] {
    if case .failure(let errors) = load(endpoint) { return errors.errors.map(\.description) }
    return []
  }

  var file: String { directory.appendingPathComponent("commsd.toml").path }

  @Test func anUnknownFormatIsNamedWithFileLineAndKey() {
    #expect(
      errors("url = \"https://sms.example/send\"\nformat = \"gatewayapi2\"") == [
        "\(file):6: endpoints.x.format: unknown format \"gatewayapi2\"; expected one of commsd, gatewayapi, twilio, teams-workflows, slack, template"
      ])
  }

  /// Receipts come with a gateway told where to call back, verified as the
  /// provider signs them; each mistake is named with file, line and key.
  @Test func receiptsAreOnlyForAGatewayThatCallsBackAndAreVerified() throws {
    let gateway =
      "format = \"gatewayapi\"\nurl = \"https://gatewayapi.eu/rest/mtsms\"\ntoken = \"t\"\nsender = \"Kommunen\"\ncallback_url = \"https://commsd.example/v1/receipts/x\""
    let missing = errors(gateway)
    #expect(missing.count == 1, "\(missing)")
    #expect(
      missing.first?.hasPrefix("\(file):") == true
        && missing.first?.contains("endpoints.x.receipt_secret: missing") == true, "\(missing)")
    let configured = try load(gateway + "\nreceipt_secret = \"s3cret\"\nreceipt_timeout = \"2h\"")
      .get()
    #expect(
      configured.endpoints["x"]?.receipts
        == ReceiptSettings(
          timeout: .seconds(7200), verification: .gatewayAPIJWT(secret: Array("s3cret".utf8))))
    let twilio = try load(
      "format = \"twilio\"\nurl = \"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json\"\nbasic_user = \"AC1\"\npassword = \"tw\"\nfrom = \"Kommunen\"\nstatus_callback = \"https://commsd.example/v1/receipts/x\""
    ).get()
    #expect(
      twilio.endpoints["x"]?.receipts
        == ReceiptSettings(
          timeout: .seconds(86400), verification: .twilioSignature(authToken: "tw")))
    let plain = errors(
      "url = \"https://intranet.example/hook\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\nreceipt_timeout = \"1h\""
    )
    #expect(
      plain.count == 1
        && plain.first?.contains("endpoints.x.receipt_timeout: receipts need") == true, "\(plain)")
    let short = errors(gateway + "\nreceipt_secret = \"s\"\nreceipt_timeout = \"1s\"")
    #expect(short.first?.contains("endpoints.x.receipt_timeout") == true, "\(short)")
  }

  /// Any other gateway: its callback's fields and authentication named by
  /// `receipt_*` keys; each mistake named with file, line and key.
  @Test func aTemplateGatewaysReceiptsAreDescribedByItsReceiptKeys() throws {
    try #"{"to": "{{contact}}", "text": "{{text}}", "ref": "{{delivery_id}}"}"#.write(
      to: directory.appendingPathComponent("sms.json"), atomically: true, encoding: .utf8)
    try #"{"to": "{{contact}}", "text": "{{text}}"}"#.write(
      to: directory.appendingPathComponent("noref.json"), atomically: true, encoding: .utf8)
    let gateway =
      "format = \"template\"\nurl = \"https://gw.example/send\"\nbody_file = \"sms.json\"\ntext = \"sms\""
    let keys =
      "\nreceipt_reference = \"ref\"\nreceipt_status = \"state\"\nreceipt_delivered = [\"DELIVRD\"]\nreceipt_undeliverable = [\"UNDELIV\", \"Expired\"]\nreceipt_time = \"at\""
    let bySecret = try load(gateway + keys + "\nreceipt_secret = \"0123456789abcdef\"").get()
    #expect(
      bySecret.endpoints["x"]?.receipts
        == ReceiptSettings(
          timeout: .seconds(86400),
          verification: .secretInURL(secret: Array("0123456789abcdef".utf8)),
          mapping: TemplateReceiptMapping(
            contentType: .json, reference: "ref", status: "state", delivered: ["delivrd"],
            undeliverable: ["undeliv", "expired"], time: "at")))
    let byBasic = try load(
      gateway + keys
        + "\nreceipt_user = \"gw\"\nreceipt_password = \"pw\"\nreceipt_content_type = \"application/x-www-form-urlencoded\""
    ).get()
    #expect(byBasic.endpoints["x"]?.receipts?.verification == .basic(user: "gw", password: "pw"))
    #expect(byBasic.endpoints["x"]?.receipts?.mapping?.contentType == .form)

    for (config, expected) in [
      (gateway + keys, "endpoints.x.receipt_secret: missing: give receipt_secret"),
      (gateway + keys + "\nreceipt_secret = \"short\"", "endpoints.x.receipt_secret: too short"),
      (
        gateway + keys + "\nreceipt_secret = \"0123456789abcdef\"\nreceipt_user = \"gw\"",
        "endpoints.x.receipt_secret: give either"
      ),
      (
        gateway + keys + "\nreceipt_user = \"gw\"",
        "endpoints.x.receipt_password: HTTP Basic needs both"
      ),
      (
        gateway + keys.replacingOccurrences(of: "receipt_reference = \"ref\"", with: "")
          + "\nreceipt_secret = \"0123456789abcdef\"",
        "endpoints.x.receipt_reference: missing"
      ),
      (
        gateway.replacingOccurrences(of: "sms.json", with: "noref.json") + keys
          + "\nreceipt_secret = \"0123456789abcdef\"",
        "endpoints.x.receipt_reference: the body template must send {{delivery_id}}"
      ),
      (
        gateway + keys.replacingOccurrences(of: "\"Expired\"", with: "\"delivrd\"")
          + "\nreceipt_secret = \"0123456789abcdef\"",
        "endpoints.x.receipt_undeliverable: \"delivrd\" is in receipt_delivered too"
      ),
      (
        "url = \"https://intranet.example/hook\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\nreceipt_status = \"state\"",
        "endpoints.x.receipt_status: only for format template"
      ),
      (
        gateway + keys
          + "\nreceipt_secret = \"0123456789abcdef\"\nreceipt_content_type = \"text/xml\"",
        "endpoints.x.receipt_content_type: expected"
      ),
    ] {
      let found = errors(config)
      #expect(
        found.count == 1 && found.first?.hasPrefix("\(file):") == true
          && found.first?.contains(expected) == true, "\(expected): \(found)")
    }
  }

  @Test func aMissingTokenFileIsNamed() {
    let found = errors(
      "format = \"gatewayapi\"\nurl = \"https://gatewayapi.eu/rest/mtsms\"\ntoken_file = \"missing.token\"\nsender = \"Kommunen\""
    )
    #expect(found.count == 1)
    #expect(
      found.first?.hasPrefix("\(file):7: endpoints.x.token_file: cannot read") == true, "\(found)")
  }

  @Test func aTemplateThatDoesNotRenderIsRefused() throws {
    try #"{"to": {{contact}}}"#.write(
      to: directory.appendingPathComponent("bad.mustache"), atomically: true, encoding: .utf8)
    try #"{"to": "{{contcat}}"}"#.write(
      to: directory.appendingPathComponent("typo.mustache"), atomically: true, encoding: .utf8)
    let invalid = errors(
      "format = \"template\"\nurl = \"https://gw.example/send\"\nbody_file = \"bad.mustache\"")
    #expect(invalid.count == 1)
    #expect(invalid.first?.hasPrefix("\(file):7: endpoints.x.body_file: ") == true, "\(invalid)")
    #expect(invalid.first?.contains("does not render valid JSON") == true, "\(invalid)")
    let typo = errors(
      "format = \"template\"\nurl = \"https://gw.example/send\"\nbody_file = \"typo.mustache\"")
    #expect(typo.first?.contains("unknown variable \"contcat\"") == true, "\(typo)")
    #expect(typo.first?.contains("contact") == true, "\(typo)")
  }

  @Test func eachFormatAsksForTheAuthenticationItsProviderDocuments() {
    #expect(
      errors(
        "format = \"gatewayapi\"\nurl = \"https://gatewayapi.eu/rest/mtsms\"\nsender = \"Kommunen\""
      )
      .first?.contains("endpoints.x.token_file: missing") == true)
    #expect(
      errors("format = \"twilio\"\nurl = \"https://api.twilio.com/x\"\nfrom = \"+4570123456\"")
        .first?.contains("endpoints.x.basic_user: missing") == true)
    #expect(
      errors(
        "format = \"slack\"\nurl = \"https://hooks.slack.com/services/T/B/X\"\ntoken_file = \"token\""
      )
      .first?.contains("is its own credential") == true)
    #expect(
      errors(
        "url = \"https://x.example\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\ntoken_file = \"token\""
      )
      .first?.contains("give one authentication, not secret and token") == true)
    #expect(
      errors(
        "format = \"gatewayapi\"\nurl = \"https://gatewayapi.eu/rest/mtsms\"\ntoken_file = \"token\"\nsender = \"Kommunens Krisestab\""
      )
      .first?.contains("endpoints.x.sender: expected up to 11 letters") == true)
  }

  @Test func aTeamsURLIsNeverQuotedAndNoAuthenticationIsWarnedAbout() throws {
    let found = errors("format = \"teams-workflows\"\nurl = \"ftp://secret-sig@example\"")
    #expect(found.count == 1)
    #expect(found.first?.contains("secret-sig") == false)
    let configuration = try load(
      "format = \"teams-workflows\"\nurl = \"https://prod.westeurope.logic.azure.com/workflows/1?sig=S\""
    ).get()
    #expect(configuration.endpoints["x"]?.authentication == EndpointAuthentication.none)
    let warnings = ConfigurationWarnings.of(configuration)
    #expect(warnings.contains { $0.hasPrefix("endpoints.x: no authentication (teams-workflows)") })
    #expect(!warnings.joined().contains("sig=S"))
  }

  @Test func smsContactsAreCheckedAsPhoneNumbersWithTheRowNamed() {
    let text = """
      data_dir = "var"
      [audiences.staff]
      [endpoints.x]
      format = "gatewayapi"
      url = "https://gatewayapi.eu/rest/mtsms"
      token_file = "token"
      sender = "Kommunen"
      [[recipients]]
      id = "s1"
      name = "Søren"
      audiences = ["staff"]
      contacts = ["x:ring mig"]
      """
    do {
      _ = try ConfigurationLoader.parse(text, file: file)
      Issue.record("accepted a contact that is no phone number")
    } catch {
      let found = error.errors.map(\.description)
      #expect(found.count == 1)
      #expect(
        found.first?.hasPrefix("\(file):12: recipients[0].contacts: a phone number") == true,
        "\(found)")
      #expect(found.first?.contains("ring mig") == false)
    }
  }

  @Test func anOwnAuthorizationHeaderClashesOnlyWithAnAuthenticationThatSetsOne() throws {
    // A signature has headers of its own: a receiver's own Authorization stays allowed.
    let signed = try load(
      "url = \"https://x.example\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\nheaders = { Authorization = \"Basic eDp5\" }"
    ).get()
    #expect(signed.endpoints["x"]?.headers.first?.value == "Basic eDp5")
    let clash = errors(
      "format = \"gatewayapi\"\nurl = \"https://gatewayapi.eu/rest/mtsms\"\ntoken_file = \"token\"\nsender = \"Kommunen\"\nheaders = { Authorization = \"Basic eDp5\" }"
    )
    #expect(clash.count == 1)
    #expect(clash.first?.contains("sets Authorization already") == true, "\(clash)")
  }
}
