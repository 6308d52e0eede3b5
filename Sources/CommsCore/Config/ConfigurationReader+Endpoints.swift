import Foundation

/// `[endpoints.NAME]`: where webhook deliveries go, in which format, and how
/// commsd authenticates itself there.
///
/// ```toml
/// [endpoints.sms]
/// format = "gatewayapi"
/// url = "https://gatewayapi.eu/rest/mtsms"
/// token_file = "/etc/commsd/gatewayapi.token"
/// sender = "Kommunen"
/// ```
///
/// Authentication is one of `secret`/`secret_file` (Standard Webhooks
/// signing), `token`/`token_file` (`Authorization: Token`), `bearer_token`/
/// `bearer_token_file`, or `basic_user` with `password`/`password_file`; or
/// none where the URL is the secret (`url_file` keeps it out of the main
/// file). Each format asks for what its provider documents.
extension ConfigurationReader {
  func readEndpoint(_ table: ConfigTable, name: String) -> Endpoint? {
    var table = table
    let formatName = table.string("format") ?? "commsd"
    let url = secret(&table, "url")
    if url == nil, table.table["url"] == nil, table.table["url_file"] == nil {
      table.fail("url", "missing; give the endpoint's URL as url or url_file")
    }
    let authentication = readAuthentication(&table)
    var headers: [HTTPHeaderField] = []
    if var headerTable = table.table("headers") {
      for header in headerTable.keys {
        guard let value = headerTable.string(header) else { continue }
        if header.contains(where: { !$0.isASCII || $0.isWhitespace || $0 == ":" })
          || value.contains(where: { $0.isNewline })
        {
          headerTable.fail(
            header, "header names must be plain ASCII tokens and values a single line")
          continue
        }
        if header.lowercased() == "authorization", authentication.setsAuthorization {
          headerTable.fail(header, "the endpoint's authentication sets Authorization already")
          continue
        }
        headers.append(HTTPHeaderField(name: header, value: value))
      }
    }
    let concurrency = table.integer("concurrency", in: 1...1024) ?? 8
    let timeout = table.duration("timeout", in: .seconds(1)...(.seconds(3600))) ?? .seconds(10)
    let verifyTLS = table.bool("verify_tls") ?? true
    let gate = readGate(&table)
    let format = readFormat(&table, name: formatName)
    var maxSegments = 4
    var countryCode = "45"
    if format?.sendsSMS ?? false {
      maxSegments = table.integer("max_sms_segments", in: 1...255).map { Int($0) } ?? 4
      if let code = table.string("default_country_code") {
        if (1...3).contains(code.count), code.allSatisfy({ $0.isASCII && $0.isNumber }),
          code.first != "0"
        {
          countryCode = code
        } else {
          table.fail("default_country_code", "expected 1 to 3 digits, e.g. \"45\"")
        }
      }
    }
    let receiptTimeout = table.duration(
      "receipt_timeout", in: .seconds(10)...(.seconds(30 * 86400)))
    let receiptSecret = secret(&table, "receipt_secret")
    let templateReceipts = readTemplateReceiptKeys(&table)
    table.rejectUnknownKeys()
    if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
      // The URL may be a credential (Teams, Slack): never quoted.
      table.fail("url", "expected an http:// or https:// URL")
      return nil
    }
    guard let format, let url else { return nil }
    guard let authentication = checkedAuthentication(&table, authentication, for: format) else {
      return nil
    }
    let receipts = readReceipts(
      &table, format: format, authentication: authentication, timeout: receiptTimeout,
      secret: receiptSecret, template: templateReceipts)
    return Endpoint(
      name: name, url: url, format: format, authentication: authentication, headers: headers,
      concurrency: concurrency, timeout: timeout, verifyTLS: verifyTLS, gate: gate,
      maxSMSSegments: maxSegments, defaultCountryCode: countryCode, receipts: receipts)
  }

  /// The format and its own keys.
  private func readFormat(_ table: inout ConfigTable, name: String) -> EndpointFormat? {
    switch name {
    case "commsd": return .commsd
    case "teams-workflows": return .teamsWorkflows
    case "slack": return .slack
    case "gatewayapi":
      let sender = table.string("sender", required: true)
      let callback = callbackURL(&table, "callback_url")
      guard let sender else { return nil }
      guard GatewayAPIFormat.isValidSender(sender) else {
        table.fail("sender", "expected up to 11 letters and digits, or up to 15 digits")
        return nil
      }
      return .gatewayAPI(GatewayAPIFormat(sender: sender, callbackURL: callback))
    case "twilio":
      let from = table.string("from")
      let service = table.string("messaging_service_sid")
      let callback = callbackURL(&table, "status_callback")
      switch (from, service) {
      case (let from?, nil):
        return .twilio(TwilioFormat(sender: .from(from), statusCallback: callback))
      case (nil, let sid?):
        return .twilio(TwilioFormat(sender: .messagingService(sid), statusCallback: callback))
      case (.some, .some):
        table.fail("from", "give either from or messaging_service_sid, not both")
      case (nil, nil):
        table.fail("from", "missing; give the sender as from, or messaging_service_sid")
      }
      return nil
    case "template":
      let file = table.string("body_file", required: true)
      let typeName = table.string("content_type") ?? TemplateFormat.ContentType.json.rawValue
      let textName = table.string("text") ?? "full"
      guard let kind = TemplateFormat.ContentType(rawValue: typeName) else {
        table.fail(
          "content_type",
          "expected \(TemplateFormat.ContentType.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")), found \"\(typeName)\""
        )
        return nil
      }
      guard let text = TemplateFormat.Text(rawValue: textName) else {
        table.fail("text", "expected \"full\" or \"sms\", found \"\(textName)\"")
        return nil
      }
      guard let file else { return nil }
      let path = resolve(file)
      guard let source = try? String(contentsOfFile: path, encoding: .utf8) else {
        table.fail("body_file", "cannot read the body template \(path)")
        return nil
      }
      do {
        return .template(
          try TemplateFormat(source: source, file: path, contentType: kind, text: text))
      } catch {
        table.fail("body_file", error.description)
        return nil
      }
    default:
      table.fail(
        "format",
        "unknown format \"\(name)\"; expected one of \(EndpointFormat.names.joined(separator: ", "))"
      )
      return nil
    }
  }

  private func callbackURL(_ table: inout ConfigTable, _ key: String) -> String? {
    guard let url = table.string(key) else { return nil }
    guard url.hasPrefix("https://") || url.hasPrefix("http://"),
      !url.contains(where: { $0.isWhitespace })
    else {
      table.fail(key, "expected an http:// or https:// URL")
      return nil
    }
    return url
  }

  /// What the endpoint's keys say of its authentication.
  fileprivate enum GivenAuthentication {
    /// No authentication key at all.
    case none
    /// Keys that were refused (with their reason in the table).
    case refused
    case given(EndpointAuthentication)

    /// Whether it writes the `Authorization` header itself (a signature
    /// does not: its headers are its own).
    var setsAuthorization: Bool {
      switch self {
      case .given(.token), .given(.bearer), .given(.basic): true
      default: false
      }
    }
  }

  /// The one authentication configured, if any. Two at once are refused.
  private func readAuthentication(_ table: inout ConfigTable) -> GivenAuthentication {
    var found: [(key: String, value: EndpointAuthentication?)] = []
    if table.table["secret"] != nil || table.table["secret_file"] != nil {
      let text = secret(&table, "secret")
      let key = text.flatMap { WebhookSigner.key(fromSecret: $0) }
      if text != nil, key == nil {
        table.fail("secret", "expected a Standard Webhooks secret: \"whsec_\" followed by base64")
      }
      found.append(("secret", key.map { .standardWebhooks(key: $0) }))
    }
    if table.table["token"] != nil || table.table["token_file"] != nil {
      found.append(("token", nonEmpty(&table, "token").map { .token($0) }))
    }
    if table.table["bearer_token"] != nil || table.table["bearer_token_file"] != nil {
      found.append(("bearer_token", nonEmpty(&table, "bearer_token").map { .bearer($0) }))
    }
    if table.table["basic_user"] != nil || table.table["password"] != nil
      || table.table["password_file"] != nil
    {
      let user = table.string("basic_user", required: true)
      let password = nonEmpty(&table, "password")
      if table.table["password"] == nil, table.table["password_file"] == nil {
        table.fail("password_file", "missing; basic authentication needs password or password_file")
      }
      if let user, user.contains(":") || user.contains(where: \.isNewline) {
        table.fail("basic_user", "a user name must not contain \":\" or a line break")
      }
      let valid = user.map { !$0.contains(":") && !$0.contains(where: \.isNewline) } ?? false
      found.append(
        (
          "basic_user",
          valid
            ? password.flatMap { password in user.map { .basic(user: $0, password: password) } }
            : nil
        ))
    }
    if found.count > 1 {
      table.fail(
        found[1].key,
        "give one authentication, not \(found.map(\.key).joined(separator: " and "))")
      return .refused
    }
    guard let one = found.first else { return .none }
    return one.value.map { .given($0) } ?? .refused
  }

  /// A secret-like value (`NAME` or `NAME_file`) that must not be empty or
  /// hold a line break (it goes into a header).
  private func nonEmpty(_ table: inout ConfigTable, _ name: String) -> String? {
    guard let value = secret(&table, name) else { return nil }
    guard !value.isEmpty, !value.contains(where: { $0.isNewline || $0 == "\0" }) else {
      table.fail(name, "is empty or holds a line break")
      return nil
    }
    return value
  }

  /// What `format` needs of the authentication: commsd's own format is
  /// always signed; GatewayAPI takes a token, Twilio basic authentication;
  /// for Teams and Slack the URL is the credential and nothing else is sent.
  private func checkedAuthentication(
    _ table: inout ConfigTable, _ given: GivenAuthentication, for format: EndpointFormat
  ) -> EndpointAuthentication? {
    let configured: EndpointAuthentication
    switch given {
    case .refused: return nil  // its reason is in the table already
    case .given(let authentication): configured = authentication
    case .none:
      switch format {
      case .commsd:
        table.fail(
          "secret",
          "missing; give the endpoint's Standard Webhooks secret (whsec_…) as secret or secret_file"
        )
        return nil
      case .gatewayAPI:
        table.fail("token_file", "missing; GatewayAPI takes its API token as token or token_file")
        return nil
      case .twilio:
        table.fail(
          "basic_user",
          "missing; Twilio takes the account SID as basic_user and the auth token as password or password_file"
        )
        return nil
      case .teamsWorkflows, .slack, .template:
        return EndpointAuthentication.none
      }
    }
    switch (format, configured) {
    case (.commsd, .standardWebhooks), (.template, _), (.gatewayAPI, .token),
      (.twilio, .basic):
      return configured
    case (.teamsWorkflows, _), (.slack, _):
      table.fail(
        "url",
        "a \(format.name) URL is its own credential; remove the endpoint's other authentication")
      return nil
    default:
      table.fail(
        "format", "\(format.name) does not take \(configured.name)")
      return nil
    }
  }
}
