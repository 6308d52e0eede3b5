import Foundation
import Testing

@testable import CommsCore

/// Valid but unsafe settings are named, and safe ones are not.
@Suite struct ConfigurationWarningsTests {
  static let repository = ConfigurationLoaderTests.repository

  func warnings(_ text: String) throws -> [String] {
    ConfigurationWarnings.of(try ConfigurationLoader.parse(text, file: "commsd.toml"))
  }

  @Test func unsafeTransportAndPublicSecretsAreNamed() throws {
    let found = try warnings(
      """
      data_dir = "var"
      [relays.mail]
      url = "smtp://mail.kommune.example:25"
      from = "Krisestab <krisestab@kommune.example>"
      tls = "none"
      username = "krisestab"
      password = "hemmeligt"
      [endpoints.sms]
      url = "http://gateway.example/sms"
      secret = "whsec_7yDalRohqWi8nyivJFnofSOVnDUtq8zO"
      verify_tls = false
      [audiences.staff]
      """)
    #expect(found.contains { $0.hasPrefix("endpoints.sms.url: plain http:// to another machine") })
    #expect(found.contains { $0.hasPrefix("endpoints.sms.verify_tls: false") })
    #expect(found.contains { $0.hasPrefix("endpoints.sms.secret: the example's public secret") })
    #expect(found.contains { $0.hasPrefix("relays.mail.tls: \"none\" with a password") })
    #expect(found.count == 4, "\(found)")
  }

  @Test func aStoreOverTheNetworkWithoutTLSIsNamed() throws {
    let plain = try warnings(
      "data_dir = \"var\"\nstore = \"postgres://commsd@db.kommune.example/commsd\"\nstore_plaintext = true\n[audiences.staff]\n"
    )
    #expect(
      plain.count == 1 && plain[0].hasPrefix("store: db.kommune.example without TLS"), "\(plain)")
    let tls = try warnings(
      "data_dir = \"var\"\nstore = \"postgres://commsd@db.kommune.example/commsd?sslmode=verify-full\"\n[audiences.staff]\n"
    )
    #expect(tls == [])
  }

  /// Issue 27: a store URL that lets libpq pick a standby is named; one
  /// that leaves the choice to commsd (read-write), or says so, is not.
  @Test func aStoreURLThatMayLandOnAStandbyIsNamed() throws {
    func store(_ query: String) throws -> [String] {
      try warnings(
        "data_dir = \"var\"\nstore = \"postgres://commsd@127.0.0.1:5432,127.0.0.1:5433/commsd\(query)\"\n[audiences.staff]\n"
      )
    }
    let any = try store("?target_session_attrs=any")
    #expect(
      any.count == 1 && any[0].hasPrefix("store: target_session_attrs=any lets a node connect"),
      "\(any)")
    #expect(try store("?target_session_attrs=prefer-standby").count == 1)
    #expect(try store("") == [])
    #expect(try store("?target_session_attrs=read-write") == [])
    #expect(try store("?target_session_attrs=primary") == [])
  }

  @Test func safeSettingsAndLoopbackReceiversAreNotWarnedAbout() throws {
    let found = try warnings(
      """
      data_dir = "var"
      default_relay = "mail"
      [relays.mail]
      url = "smtp://mail.kommune.example:587"
      from = "Krisestab <krisestab@kommune.example>"
      username = "krisestab"
      password = "hemmeligt"
      [relays.local]
      url = "smtp://127.0.0.1:2525"
      from = "Krisestab <krisestab@kommune.example>"
      tls = "none"
      [endpoints.sms]
      url = "https://gateway.example/sms"
      secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
      [endpoints.local]
      url = "http://[::1]:8099/hook"
      secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
      [audiences.staff]
      """)
    #expect(found == [])
  }

  /// The example is for trying out: its public secrets and demo token are
  /// named, so nobody runs them in earnest without being told.
  @Test func theExampleConfigurationIsWarnedAboutItsPublicSecrets() throws {
    let configuration = try ConfigurationLoader.load(
      path: Self.repository + "/config/example/commsd.toml")
    let found = ConfigurationWarnings.of(configuration)
    #expect(found.filter { $0.contains("public secret") }.count == 3, "\(found)")
    #expect(found.contains { $0.hasPrefix("api.tokens (demo): the README's public demo token") })
  }
}
