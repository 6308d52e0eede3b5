import Foundation

/// Reading the optional `[console]` section (see `ConsoleSettings`).
extension ConfigurationReader {
  func readConsole(
    _ table: ConfigTable?, api: APISettings?
  ) -> ConsoleSettings? {
    guard var table else { return nil }
    var settings = ConsoleSettings()
    if let idle = bounded(
      &table, "session_idle", .seconds(300)...Duration.seconds(86_400), "5m to 24h")
    {
      settings.sessionIdle = idle
    }
    if let max = bounded(
      &table, "session_max", .seconds(3600)...Duration.seconds(7 * 86_400), "1h to 7d")
    {
      settings.sessionMax = max
    }
    if let oidc = table.table("oidc") { settings.oidc = readOIDC(oidc) }
    table.rejectUnknownKeys()
    if api == nil {
      table.failTable("the console is served by the HTTP API: add an [api] section")
    }
    return settings
  }

  /// `[console.oidc]` (see `OIDCSettings`).
  func readOIDC(_ table: ConfigTable) -> OIDCSettings? {
    var table = table
    let issuer = table.string("issuer", required: true)
    let clientID = table.string("client_id", required: true)
    let secret = secret(&table, "client_secret")
    let redirect = table.string("redirect_url", required: true)
    let scopes = table.strings("scopes")
    let claims = ["name_claim", "display_name_claim", "groups_claim"].map { ($0, table.string($0)) }
    let label = table.string("label")
    table.rejectUnknownKeys()
    guard let issuer, let clientID, let redirect else { return nil }
    var ok = true
    func fail(_ key: String, _ message: String) {
      table.fail(key, message)
      ok = false
    }
    if !OIDCSettings.isAllowed(issuer) || issuer.contains("?") || issuer.contains("#") {
      fail("issuer", "expected the provider's https:// issuer URL (http:// only on this machine)")
    }
    if !(1...200).contains(clientID.count)
      || clientID.contains(where: { $0.isWhitespace || $0.isNewline })
    {
      fail("client_id", "expected the client id the provider gave: 1 to 200 visible characters")
    }
    if !OIDCSettings.isAllowed(redirect) || !redirect.hasSuffix("/console/oidc/callback") {
      fail(
        "redirect_url",
        "expected the console's own address ending in /console/oidc/callback, e.g. https://commsd.kommune.dk/console/oidc/callback"
      )
    }
    if let secret, secret.isEmpty {
      fail("client_secret", "is empty: give the secret the provider made for this client")
    }
    var settings = OIDCSettings(issuer: issuer, clientID: clientID, redirectURL: redirect)
    settings.clientSecret = secret
    if let scopes {
      let names = scopes.map(\.value)
      if !names.contains("openid") || names.contains(where: { $0.isEmpty || $0.contains(" ") }) {
        fail("scopes", "expected scope names including \"openid\", e.g. [\"openid\", \"profile\"]")
      }
      settings.scopes = names
    }
    for (key, value) in claims {
      guard let value else { continue }
      guard (1...100).contains(value.count), !value.contains(where: \.isWhitespace) else {
        fail(key, "expected a claim name such as preferred_username")
        continue
      }
      switch key {
      case "name_claim": settings.nameClaim = value
      case "display_name_claim": settings.displayNameClaim = value
      default: settings.groupsClaim = value
      }
    }
    if let label {
      if (1...100).contains(label.count), !label.contains(where: \.isNewline) {
        settings.label = label
      } else {
        fail("label", "expected one line of 1 to 100 characters")
      }
    }
    return ok ? settings : nil
  }
}
