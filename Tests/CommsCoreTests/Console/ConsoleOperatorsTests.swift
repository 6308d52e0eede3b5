import Foundation
import Testing

@testable import CommsCore

/// Who a console person is to `[[operators]]`: a local account by
/// `user =`, a person from the identity provider by `idp_group =`; and the
/// console's small choices around a request: where to go after signing
/// in, the page's language, the report's stylesheet inside a page.
@Suite struct ConsoleOperatorsTests {
  static let configuration = """
    [audiences.staff]
    [audiences.citizens]
    [audiences.police]
    [[operators]]
    user = "anna"
    audiences = ["staff"]
    rights = ["send"]
    [[operators]]
    idp_group = "/kommune/krisestab"
    audiences = ["*"]
    max_priority = "flash"
    rights = ["send", "cancel", "approve", "audit", "inbox"]
    [[operators]]
    idp_group = "CN=Pleje,OU=Grupper,DC=kommune,DC=dk"
    audiences = ["citizens"]
    max_priority = "normal"
    [[operators]]
    group = "vagt"
    audiences = ["police"]

    """

  static func policy() throws -> OperatorPolicy {
    try ConfigurationLoader.parse(configuration, file: "/etc/commsd/commsd.toml").operators
  }

  static func session(_ person: String, via: ConsoleSession.Via, groups: [String] = [])
    -> ConsoleSession
  {
    let start = Date(timeIntervalSince1970: 1_790_000_000)
    return ConsoleSession(
      person: person, displayName: person, via: via, idpGroups: groups, csrf: "c",
      origin: "192.0.2.7", createdAt: start, seenAt: start, expiresAt: start + 3600)
  }

  /// The errors `entry` (one `[[operators]]` table's keys) gives.
  static func errors(_ entry: String) -> [ConfigError] {
    do {
      _ = try ConfigurationLoader.parse(
        "[audiences.staff]\n[[operators]]\n" + entry, file: "/etc/c.toml")
      return []
    } catch {
      return error.errors
    }
  }

  @Test func anIdentityProviderGroupIsRead() throws {
    let policy = try Self.policy()
    #expect(policy.rules.count == 4)
    #expect(policy.rules.map(\.who.description)[1] == "idp_group /kommune/krisestab")
    #expect(policy.rules[1].who == .idpGroup("/kommune/krisestab"))
    #expect(policy.rules[1].audiences == nil && policy.rules[1].maxPriority == .flash)
    #expect(policy.rules[2].who == .idpGroup("CN=Pleje,OU=Grupper,DC=kommune,DC=dk"))
    #expect(policy.rules[2].rights == [.send, .cancel, .inbox], "the default rights")
  }

  @Test func userAndIdpGroupTogetherIsAnErrorAtItsLine() {
    let errors = Self.errors(
      "user = \"anna\"\nidp_group = \"/kommune/krisestab\"\naudiences = [\"staff\"]\n")
    #expect(errors.count == 1)
    let error = errors.first
    #expect(error?.file == "/etc/c.toml" && error?.line == 4, "\(errors)")
    #expect(error?.key.hasSuffix("idp_group") == true, "\(errors)")
    #expect(error?.message.contains("one of user, group and idp_group") == true)
    #expect("\(error.map(\.description) ?? "")".hasPrefix("/etc/c.toml:4: "))
    let three = Self.errors(
      "group = \"g\"\nidp_group = \"/x\"\nuser = \"u\"\naudiences = [\"staff\"]\n")
    #expect(three.count == 1 && three.first?.message.contains("one of") == true, "\(three)")
  }

  @Test(arguments: [
    "idp_group = \"/kommune/krise stab\"", "idp_group = \"\"", "idp_group = \"a\\tb\"",
    "idp_group = \"a\\u0000b\"", "idp_group = \"\(String(repeating: "g", count: 201))\"",
  ])
  func anIdpGroupMustBeVisibleCharacters(entry: String) {
    let errors = Self.errors(entry + "\naudiences = [\"staff\"]\n")
    #expect(errors.count == 1, "\(errors)")
    #expect(errors.first?.key.hasSuffix("idp_group") == true, "\(errors)")
    #expect(errors.first?.line == 3, "\(errors)")
    #expect(errors.first?.message.contains("1 to 200 visible characters") == true, "\(errors)")
  }

  @Test func noNameAtAllNamesAllThreeKeys() {
    let errors = Self.errors("audiences = [\"staff\"]\n")
    #expect(errors.count == 1 && errors.first?.message.contains("idp_group") == true)
  }

  @Test func aLocalSessionIsNamedByUser() throws {
    let policy = try Self.policy()
    let anna = try #require(policy.scope(of: Self.session("anna", via: .local)))
    #expect(anna.person == "anna" && anna.audiences == ["staff"])
    #expect(anna.rights == [.send] && anna.maxPriority == .urgent)
    #expect(anna.rules == ["user anna"])
    #expect(policy.scope(of: Self.session("bo", via: .local)) == nil)
  }

  @Test func anIdentityProviderSessionIsNamedByItsGroups() throws {
    let policy = try Self.policy()
    let crisis = try #require(
      policy.scope(
        of: Self.session(
          "mette@kommune.dk", via: .oidc, groups: ["/kommune/alle", "/kommune/krisestab"])
      ))
    #expect(crisis.person == "mette@kommune.dk")
    #expect(crisis.audiences == nil && crisis.maxPriority == .flash && crisis.rights.count == 5)
    let care = try #require(
      policy.scope(
        of: Self.session("ib", via: .oidc, groups: ["CN=Pleje,OU=Grupper,DC=kommune,DC=dk"])))
    #expect(care.audiences == ["citizens"] && care.maxPriority == .normal)
    #expect(care.rights == [.send, .cancel, .inbox])
    // Both groups: their entries together.
    let both = try #require(
      policy.scope(
        of: Self.session(
          "ib", via: .oidc,
          groups: ["CN=Pleje,OU=Grupper,DC=kommune,DC=dk", "/kommune/krisestab"])))
    #expect(both.audiences == nil && both.maxPriority == .flash && both.rights.count == 5)
    #expect(
      Set(both.rules) == [
        "idp_group /kommune/krisestab", "idp_group CN=Pleje,OU=Grupper,DC=kommune,DC=dk",
      ])
  }

  @Test func nobodyElseIsMatched() throws {
    let policy = try Self.policy()
    // No matching group, none at all, or a group that differs in case or by a slash.
    for groups in [["/kommune/it"], [], ["/Kommune/Krisestab"], ["/kommune/krisestab/"]] {
      #expect(
        policy.scope(of: Self.session("mette", via: .oidc, groups: groups)) == nil, "\(groups)")
    }
    // The identity provider's "anna" is not the local account anna.
    #expect(policy.scope(of: Self.session("anna", via: .oidc)) == nil)
    // A Unix group is not an identity provider's group of the same name.
    #expect(policy.scope(of: Self.session("mette", via: .oidc, groups: ["vagt"])) == nil)
    // A local session is not matched by idp_group, whatever groups it carries.
    #expect(
      policy.scope(of: Self.session("bo", via: .local, groups: ["/kommune/krisestab"])) == nil)
    let anna = policy.scope(of: Self.session("anna", via: .local, groups: ["/kommune/krisestab"]))
    #expect(anna?.audiences == ["staff"] && anna?.rights == [.send])
  }

  @Test func withoutOperatorsALocalAccountMayDoEverythingAndNobodyElse() throws {
    let open = OperatorPolicy()
    let anna = try #require(open.scope(of: Self.session("anna", via: .local)))
    #expect(anna.person == "anna" && anna.audiences == nil && anna.maxPriority == .flash)
    #expect(anna.rights == Set(OperatorRight.allCases))
    #expect(
      open.scope(of: Self.session("mette", via: .oidc, groups: ["/kommune/krisestab"])) == nil)
    // The same from a configuration with no [[operators]].
    let loaded = try ConfigurationLoader.parse("[audiences.staff]\n", file: "/etc/c.toml").operators
    #expect(!loaded.isEnforced)
    #expect(loaded.scope(of: Self.session("bo", via: .local))?.rights.count == 5)
  }

  @Test func aCallerMaySeeAndCoverWithinItsScope() throws {
    let scope = try #require(try Self.policy().scope(of: Self.session("anna", via: .local)))
    let caller = ConsoleCaller(
      session: Self.session("anna", via: .local), scope: scope,
      words: Words("da"), form: FormBody(), address: "198.51.100.4")
    #expect(caller.person == "anna" && caller.sender.description == "console:anna@198.51.100.4")
    #expect(caller.may(.send) && !caller.may(.cancel))
    #expect(caller.sees(["staff"]) && caller.sees([String]()) && !caller.sees(["staff", "police"]))
    #expect(caller.covers("staff") && !caller.covers("police"))
    let everything = ConsoleCaller(
      session: Self.session("anna", via: .local),
      scope: try #require(OperatorPolicy().scope(of: Self.session("anna", via: .local))),
      words: Words("en"), form: FormBody(), address: "::1")
    #expect(everything.sees(["police", "anything"]) && everything.covers("police"))
  }

  @Test func afterSigningInOnlyAConsolePathIsFollowed() {
    #expect(ConsoleResponse.safeNext("/console/messages/x") == "/console/messages/x")
    #expect(ConsoleResponse.safeNext("/console") == "/console")
    #expect(ConsoleResponse.safeNext("/console/board?x=1&y=2") == "/console/board?x=1&y=2")
    for bad in [
      nil, "", "https://evil", "//evil", "/console\\x", "/other", "/\\evil.example",
      "https://evil/console", "/console/\u{0}", "/console/a b", "/console/\n//evil",
      "/console/æ", "/console/" + String(repeating: "a", count: 500),
    ] as [String?] {
      #expect(ConsoleResponse.safeNext(bad) == "/console", "\(String(describing: bad))")
    }
  }

  @Test func theLanguageIsTheCookiesThenTheBrowsersThenTheFallback() {
    #expect(Words.choose(cookie: "en", acceptLanguage: "da-DK", fallback: "da").language == "en")
    #expect(Words.choose(cookie: "da", acceptLanguage: "en", fallback: "en").language == "da")
    #expect(
      Words.choose(cookie: nil, acceptLanguage: "da-DK,en;q=0.8", fallback: "en").language == "da")
    #expect(Words.choose(cookie: nil, acceptLanguage: "fr, en-GB", fallback: "da").language == "en")
    #expect(Words.choose(cookie: nil, acceptLanguage: "DA", fallback: "en").language == "da")
    // A cookie of another language counts as none.
    #expect(Words.choose(cookie: "de", acceptLanguage: "en-US", fallback: "da").language == "en")
    #expect(Words.choose(cookie: "de", acceptLanguage: nil, fallback: "da").language == "da")
    #expect(Words.choose(cookie: nil, acceptLanguage: nil, fallback: "da").language == "da")
    #expect(Words.choose(cookie: nil, acceptLanguage: nil, fallback: "en").language == "en")
    #expect(
      Words.choose(cookie: nil, acceptLanguage: "fr, de;q=0.5", fallback: "da").language == "da")
    #expect(Words.choose(cookie: nil, acceptLanguage: "", fallback: "xx").language == "en")
  }

  @Test func wordsAreDanishOrEnglish() {
    #expect(Words("da").danish && Words("da")("Ja", "Yes") == "Ja")
    #expect(!Words("en").danish && Words("en")("Ja", "Yes") == "Yes")
    #expect(Words("sv").language == "en" && Words("").language == "en")
  }

  @Test func theReportsStyleIsLimitedToItsFrame() {
    let style = MessagePage.reportStyle
    #expect(style.contains(".report-frame h2 {"))
    #expect(style.contains(".report-frame {"), "the body rule becomes the frame's")
    #expect(style.contains(".report-frame th, .report-frame td {"))
    #expect(!style.contains("@media"))
    let lines = style.split(separator: "\n")
    #expect(!lines.isEmpty)
    #expect(!lines.contains { $0.hasPrefix("body") })
    #expect(lines.allSatisfy { $0.hasPrefix(".report-frame") }, "\(style)")
    // Every rule of the report but the print one is kept.
    let rules = ReportHTML.style.split(separator: "\n").filter {
      $0.contains("{") && !$0.hasPrefix("@")
    }
    #expect(lines.count == rules.count)
  }
}
