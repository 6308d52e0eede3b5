import Foundation
import Testing

@testable import CommsCore

/// `[console.oidc]` as the configuration reads it: every setting kept,
/// the secret read from its file and trimmed, and each mistake an error
/// at its file, line and key; and `OIDCSettings.isAllowed`, which holds
/// the provider's addresses to HTTPS, or HTTP on this machine.
@Suite struct OIDCSettingsTests {
  static let file = "/etc/commsd/commsd.toml"

  /// Lines 1 to 6; the `[console.oidc]` lines given start at line 7.
  static let head = """
    data_dir = "/tmp/x"
    [audiences.staff]
    [api]
    listen = "127.0.0.1:8470"
    [console]
    [console.oidc]

    """

  static let good = [
    "issuer = \"https://login.kommune.dk/realms/krise\"",
    "client_id = \"commsd\"",
    "redirect_url = \"https://commsd.kommune.dk/console/oidc/callback\"",
  ]

  static func parse(_ lines: [String], file: String = file) throws(ConfigErrors) -> Configuration {
    try ConfigurationLoader.parse(head + lines.joined(separator: "\n") + "\n", file: file)
  }

  static func errors(_ lines: [String]) -> [ConfigError] {
    do {
      _ = try parse(lines)
      return []
    } catch {
      return error.errors
    }
  }

  /// The one error of `lines`, checked to be at `line` and `key`.
  static func error(
    _ lines: [String], line: Int, key: String, sourceLocation: SourceLocation = #_sourceLocation
  ) -> ConfigError? {
    let errors = errors(lines)
    #expect(errors.count == 1, "\(errors)", sourceLocation: sourceLocation)
    let error = errors.first
    #expect(error?.file == file, "\(errors)", sourceLocation: sourceLocation)
    #expect(error?.line == line, "\(errors)", sourceLocation: sourceLocation)
    #expect(error?.key == key, "\(errors)", sourceLocation: sourceLocation)
    #expect(
      error?.description.hasPrefix("\(file):\(line): ") == true, "\(errors)",
      sourceLocation: sourceLocation)
    return error
  }

  static func temporaryDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "oidc-settings-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
  }

  // MARK: Reading

  @Test func everySettingIsRead() throws {
    let directory = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let secretFile = directory.appendingPathComponent("oidc-client-secret")
    try Data(" \tS3cr3t-äø+/=\n\n".utf8).write(to: secretFile)
    let configuration = try Self.parse([
      "issuer = \"https://login.kommune.dk/realms/krise\"",
      "client_id = \"commsd-console\"",
      "client_secret_file = \"\(secretFile.path)\"",
      "redirect_url = \"https://commsd.kommune.dk/console/oidc/callback\"",
      "scopes = [\"openid\", \"profile\", \"groups\"]",
      "name_claim = \"email\"",
      "display_name_claim = \"given_name\"",
      "groups_claim = \"roles\"",
      "label = \"Log ind med MitID Erhverv\"",
    ])
    let oidc = try #require(configuration.console?.oidc)
    #expect(oidc.issuer == "https://login.kommune.dk/realms/krise")
    #expect(oidc.clientID == "commsd-console")
    #expect(oidc.clientSecret == "S3cr3t-äø+/=", "read from the file and trimmed")
    #expect(oidc.redirectURL == "https://commsd.kommune.dk/console/oidc/callback")
    #expect(oidc.scopes == ["openid", "profile", "groups"])
    #expect(oidc.nameClaim == "email" && oidc.displayNameClaim == "given_name")
    #expect(oidc.groupsClaim == "roles")
    #expect(oidc.label == "Log ind med MitID Erhverv")
  }

  @Test func theDefaultsAreAPublicClientWithOpenidAndProfile() throws {
    let oidc = try #require(try Self.parse(Self.good).console?.oidc)
    var expected = OIDCSettings(
      issuer: "https://login.kommune.dk/realms/krise", clientID: "commsd",
      redirectURL: "https://commsd.kommune.dk/console/oidc/callback")
    #expect(oidc == expected)
    #expect(oidc.clientSecret == nil)
    #expect(oidc.scopes == ["openid", "profile"] && oidc.nameClaim == "preferred_username")
    #expect(oidc.displayNameClaim == "name" && oidc.groupsClaim == "groups")
    #expect(oidc.label == "Log ind med kommunens login")
    // An inline secret, kept as written.
    let inline = try #require(
      try Self.parse(Self.good + ["client_secret = \" spaced \""]).console?.oidc)
    expected.clientSecret = " spaced "
    #expect(inline == expected)
    // No [console.oidc]: no sign-in through a provider.
    let none = try ConfigurationLoader.parse(
      "[api]\nlisten = \"127.0.0.1:8470\"\n[console]\n", file: Self.file)
    #expect(none.console != nil && none.console?.oidc == nil)
  }

  @Test func aRelativeSecretFileIsReadBesideTheConfiguration() throws {
    let directory = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    try Data("relative-secret\r\n".utf8).write(
      to: directory.appendingPathComponent("client-secret"))
    let configuration = try Self.parse(
      Self.good + ["client_secret_file = \"client-secret\""],
      file: directory.appendingPathComponent("commsd.toml").path)
    #expect(configuration.console?.oidc?.clientSecret == "relative-secret")
  }

  @Test func anIssuerOnThisMachineMayBeHTTP() throws {
    for issuer in [
      "http://127.0.0.1:8080/realms/test", "http://localhost/realms/test",
      "http://[::1]:9000/realms/test",
    ] {
      let lines = ["issuer = \"\(issuer)\"", Self.good[1], Self.good[2]]
      #expect(try Self.parse(lines).console?.oidc?.issuer == issuer)
    }
    let loopback = [
      "issuer = \"http://127.0.0.1:8080/realms/test\"", "client_id = \"commsd\"",
      "redirect_url = \"http://localhost:8470/console/oidc/callback\"",
    ]
    #expect(
      try Self.parse(loopback).console?.oidc?.redirectURL
        == "http://localhost:8470/console/oidc/callback")
  }

  // MARK: Errors at their line

  @Test func anHTTPIssuerElsewhereIsAnErrorAtItsLine() {
    for issuer in [
      "http://login.kommune.dk/realms/krise", "http://127.0.0.1.evil.org/realms/krise",
      "ftp://login.kommune.dk/", "login.kommune.dk", "https://login.kommune.dk/realms/krise?x=1",
      "https://login.kommune.dk/realms/krise#top",
    ] {
      let error = Self.error(
        ["client_id = \"commsd\"", "", "issuer = \"\(issuer)\"", Self.good[2]], line: 9,
        key: "console.oidc.issuer")
      #expect(error?.message.contains("https:// issuer URL") == true, "\(issuer)")
    }
  }

  @Test func theRedirectMustBeTheConsolesCallback() {
    for redirect in [
      "https://commsd.kommune.dk/console/oidc/callback/", "https://commsd.kommune.dk/",
      "https://commsd.kommune.dk/console/oidc/callbackx",
      "http://commsd.kommune.dk/console/oidc/callback",
      "commsd.kommune.dk/console/oidc/callback",
    ] {
      let error = Self.error(
        [Self.good[0], Self.good[1], "", "redirect_url = \"\(redirect)\""], line: 10,
        key: "console.oidc.redirect_url")
      #expect(error?.message.contains("ending in /console/oidc/callback") == true, "\(redirect)")
    }
  }

  @Test func scopesMustIncludeOpenid() {
    for scopes in ["[\"profile\", \"groups\"]", "[]", "[\"openid\", \"\"]", "[\"openid profile\"]"]
    {
      let error = Self.error(
        Self.good + ["scopes = \(scopes)"], line: 10, key: "console.oidc.scopes")
      #expect(error?.message.contains("including \"openid\"") == true, "\(scopes)")
    }
    // Not an array of strings at all.
    let error = Self.error(
      Self.good + ["scopes = \"openid\""], line: 10, key: "console.oidc.scopes")
    #expect(error?.message.contains("array of strings") == true)
  }

  @Test func aSecretInlineAndFromAFileIsAnError() throws {
    let error = Self.error(
      Self.good + ["client_secret = \"s\"", "client_secret_file = \"/nonexistent/secret\""],
      line: 10, key: "console.oidc.client_secret")
    #expect(error?.message == "give either client_secret or client_secret_file, not both")
    // A secret file that cannot be read is an error at its own line.
    let missing = Self.error(
      Self.good + ["", "client_secret_file = \"/nonexistent/oidc-secret\""], line: 11,
      key: "console.oidc.client_secret_file")
    #expect(missing?.message.contains("/nonexistent/oidc-secret") == true)
  }

  @Test func anUnknownKeyIsAnErrorAtItsLine() {
    let error = Self.error(
      Self.good + ["scope = [\"openid\"]"], line: 10, key: "console.oidc.scope")
    #expect(error?.message.hasPrefix("unknown key") == true)
    let misspelt = Self.error(
      ["clientid = \"x\""] + Self.good, line: 7, key: "console.oidc.clientid")
    #expect(misspelt?.message.hasPrefix("unknown key") == true)
  }

  @Test func aMissingIssuerIsAnErrorAtTheTable() {
    // At the [console.oidc] header, line 6.
    let error = Self.error([Self.good[1], Self.good[2]], line: 6, key: "console.oidc.issuer")
    #expect(error?.message == "missing; this key is required")
    let errors = Self.errors([])
    #expect(
      Set(errors.map(\.key)) == [
        "console.oidc.issuer", "console.oidc.client_id", "console.oidc.redirect_url",
      ], "\(errors)")
    #expect(errors.count == 3)
    #expect(errors.allSatisfy { $0.line == 6 && $0.file == Self.file })
  }

  @Test func badClientIdClaimsAndLabelAreErrorsAtTheirLines() {
    let client = Self.error(
      ["client_id = \"commsd console\""] + [Self.good[0], Self.good[2]], line: 7,
      key: "console.oidc.client_id")
    #expect(client?.message.contains("1 to 200 visible characters") == true)
    _ = Self.error(
      [Self.good[0], "client_id = \"\"", Self.good[2]], line: 8, key: "console.oidc.client_id")
    for key in ["name_claim", "display_name_claim", "groups_claim"] {
      for value in ["", "two words", String(repeating: "c", count: 101)] {
        let error = Self.error(
          Self.good + ["\(key) = \"\(value)\""], line: 10, key: "console.oidc.\(key)")
        #expect(error?.message.contains("claim name") == true, "\(key) = \(value)")
      }
    }
    for label in ["", "two\\nlines", String(repeating: "l", count: 101)] {
      let error = Self.error(
        Self.good + ["label = \"\(label)\""], line: 10, key: "console.oidc.label")
      #expect(error?.message.contains("1 to 100 characters") == true, "\(label)")
    }
  }

  @Test func theConsoleNeedsTheAPI() {
    do {
      _ = try ConfigurationLoader.parse(
        "[console]\n[console.oidc]\n" + Self.good.joined(separator: "\n") + "\n", file: Self.file)
      Issue.record("a console without [api] was accepted")
    } catch {
      #expect(error.errors.count == 1, "\(error.errors)")
      #expect(error.errors.first?.line == 1 && error.errors.first?.key == "console")
      #expect(error.errors.first?.message.contains("add an [api] section") == true)
    }
  }

  // MARK: isAllowed

  @Test(arguments: [
    ("https://login.kommune.dk/realms/krise", true),
    ("https://login.kommune.dk:8443/x", true),
    ("http://127.0.0.1:8/realms/test", true),
    ("http://127.0.0.1/", true),
    ("http://localhost/realms/test", true),
    ("http://localhost:8080", true),
    ("http://[::1]:9/realms/test", true),
    ("http://[::1]/", true),
    ("http://example.org/realms/test", false),
    ("ftp://login.kommune.dk/realms/krise", false),
    ("file:///etc/passwd", false),
    ("//login.kommune.dk/", false),
    ("", false),
    ("http://", false),
    ("http://127.0.0.1.evil.org/", false),
    ("http://localhost.evil.org/", false),
    ("http://127.0.0.10/", false),
    ("http://127.0.0.1evil.org/", false),
    ("http://[::2]/", false),
    ("HTTP://evil.org/", false),
    ("http://evil.org/http://127.0.0.1/", false),
  ])
  func isAllowed(url: String, allowed: Bool) {
    #expect(OIDCSettings.isAllowed(url) == allowed, "\(url)")
  }

  /// `http://127.0.0.1:80@evil.org/`
  /// has the user `127.0.0.1` and password `80` at the host `evil.org`,
  /// and libcurl connects to evil.org, in plain HTTP; the same for
  /// `localhost:` and `[::1]` as user names. An issuer written so is
  /// accepted by the configuration, and a discovery document's endpoints
  /// so written are accepted as "on this machine".
  @Test(arguments: [
    "http://127.0.0.1:80@evil.org/", "http://localhost:x@evil.org/realms/krise",
    "http://[::1]@evil.org/", "http://[::1]:9@evil.org/token",
  ])
  func userInfoBeforeAnotherHostIsRefused(url: String) {
    #expect(!OIDCSettings.isAllowed(url), "\(url)")
  }

  @Test func anIssuerWithUserInfoBeforeAnotherHostIsAnError() {
    let errors = Self.errors(
      ["issuer = \"http://127.0.0.1:80@evil.org/realms/krise\"", Self.good[1], Self.good[2]])
    #expect(errors.first?.key == "console.oidc.issuer", "\(errors)")
  }
}
