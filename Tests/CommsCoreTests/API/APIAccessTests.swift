import Foundation
import Testing

@testable import CommsCore

/// Tokens, scopes and the slowing down of repeated failures, without HTTP.
@Suite struct APIAccessTests {
  @Test func aTokenIsKnownByItsHashOnly() throws {
    let made = APITokens.make()
    #expect(made.token.hasPrefix("cmsd_") && made.token.count > 40)
    #expect(!made.hash.contains(made.token))
    let hash = try #require(RetentionKey.bytes(fromHex: String(made.hash.dropFirst(7))))
    let check = TokenCheck(tokens: [
      APIToken(name: "care", hash: hash, audiences: ["relatives"], maxPriority: .urgent),
      APIToken(
        name: "other", hash: [UInt8](repeating: 1, count: 32), audiences: [], maxPriority: .bulk),
    ])
    #expect(check.identify(made.token)?.name == "care")
    #expect(check.identify(made.token + "x") == nil)
    #expect(check.identify("") == nil)
    #expect(APITokens.make().token != made.token)
  }

  @Test func scopesCoverAudiencesAndPriority() {
    let token = APIToken(
      name: "care", hash: [], audiences: ["relatives", "staff"], maxPriority: .urgent)
    #expect(token.covers(["relatives"]))
    #expect(!token.covers(["relatives", "police"]))
    #expect(token.allows(.urgent) && token.allows(.normal) && token.allows(.bulk))
    #expect(!token.allows(.flash))
  }

  @Test func repeatedFailuresAreSlowedThenBlocked() {
    let throttle = FailureThrottle(window: .seconds(60), free: 2, blockAfter: 5)
    let start = ContinuousClock.now
    #expect(throttle.failed("10.0.0.1", now: start) == .zero)
    #expect(throttle.failed("10.0.0.1", now: start) == .zero)
    #expect(throttle.failed("10.0.0.1", now: start) == .milliseconds(100))
    #expect(throttle.failed("10.0.0.1", now: start) == .milliseconds(200))
    #expect(throttle.blocked("10.0.0.1", now: start) == nil)
    _ = throttle.failed("10.0.0.1", now: start)
    #expect(throttle.blocked("10.0.0.1", now: start + .seconds(10)) == .seconds(50))
    // Another address is not affected; the window ends.
    #expect(throttle.blocked("10.0.0.2", now: start) == nil)
    #expect(throttle.blocked("10.0.0.1", now: start + .seconds(61)) == nil)
    #expect(throttle.failed("10.0.0.1", now: start + .seconds(61)) == .zero)
  }

  @Test func theDelayIsBounded() {
    let throttle = FailureThrottle(window: .seconds(60), free: 0, blockAfter: 1000)
    let now = ContinuousClock.now
    var last = Duration.zero
    for _ in 0..<40 { last = throttle.failed("a", now: now) }
    #expect(last == .seconds(5))
  }
}

/// `[api]` and `[hooks.NAME]` in the configuration.
@Suite struct APIConfigurationTests {
  static let base = """
    data_dir = "/tmp/x"
    [audiences.staff]
    [audiences.relatives]

    """

  func errors(_ text: String) -> [String] {
    do {
      _ = try ConfigurationLoader.parse(Self.base + text, file: "/etc/commsd/commsd.toml")
      return []
    } catch {
      return error.errors.map(\.description)
    }
  }

  @Test func anAddressReachableFromOtherMachinesNeedsTLSOrASaidPlaintext() throws {
    let open = errors("[api]\nlisten = \"0.0.0.0:8470\"\n")
    #expect(open.count == 1)
    #expect(open.first?.contains("commsd.toml:5") == true, "\(open)")
    #expect(open.first?.contains("tls_certificate and tls_key, or set plaintext = true") == true)
    #expect(errors("[api]\nlisten = \"0.0.0.0:8470\"\nplaintext = true\n").isEmpty)
    #expect(errors("[api]\nlisten = \"127.0.0.1:8470\"\n").isEmpty)
    #expect(errors("[api]\nlisten = \"[::1]:8470\"\n").isEmpty)
    #expect(errors("[api]\nlisten = \"8470\"\n").first?.contains("HOST:PORT") == true)
    #expect(
      errors("[api]\ntls_certificate = \"/nonexistent.pem\"\n").contains {
        $0.contains("TLS needs both")
      })
  }

  @Test func tokensAreCheckedAgainstTheAudiences() throws {
    let hash = "sha256:" + String(repeating: "ab", count: 32)
    let bad = errors(
      """
      [api]
      [[api.tokens]]
      name = "care"
      hash = "\(hash)"
      audiences = ["relatives", "police"]
      max_priority = "urgent"
      [[api.tokens]]
      name = "care"
      hash = "md5:abc"
      audiences = ["staff"]
      """)
    #expect(bad.contains { $0.contains("unknown audience \"police\"") })
    #expect(bad.contains { $0.contains("expected \"sha256:\" and 64 hex digits") })
    let configuration = try ConfigurationLoader.parse(
      Self.base + """
        [api]
        [[api.tokens]]
        name = "care"
        hash = "\(hash)"
        audiences = ["relatives"]
        read_only = true
        """, file: "/etc/commsd/commsd.toml")
    let token = try #require(configuration.api?.tokens.first)
    #expect(token.readOnly && token.maxPriority == .normal && token.audiences == ["relatives"])
  }

  @Test func hookSourcesNeedASecretAudiencesAndValidTemplates() throws {
    let bad = errors(
      """
      [api]
      [hooks.carebook]
      audiences = ["nobody"]
      subject = "{{#title}}"
      body = "{{text}}"
      """)
    #expect(bad.contains { $0.contains("secret") })
    #expect(bad.contains { $0.contains("unknown audience \"nobody\"") })
    #expect(bad.contains { $0.contains("hooks.carebook.subject") })
    #expect(
      errors("[hooks.carebook]\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n").first?
        .contains("need the HTTP API") == true)
  }
}
