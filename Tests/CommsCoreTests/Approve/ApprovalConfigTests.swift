import Foundation
import Testing

@testable import CommsCore

/// `[audiences.NAME.approval]` and API tokens' rights as configuration:
/// read with their defaults, and every mistake refused with file and line.
@Suite struct ApprovalConfigTests {
  static let base = """
    [confirm]
    public_url = "https://commsd.kommune.example"
    [relays.local]
    url = "smtp://127.0.0.1:2525"
    from = "Krisestab <krisestab@kommune.example>"
    [audiences.staff]
    [audiences.citizens]
    [[recipients]]
    id = "pol-vagt"
    name = "Politiets vagtchef"
    audiences = ["staff"]
    contacts = ["vagt@politi.example"]
    [recipients.attributes]
    operator = "vagtchef"

    """

  @Test func aRuleIsReadWithItsDefaults() throws {
    let configuration = try ConfigurationLoader.parse(
      Self.base + "[audiences.citizens.approval]\napprovers = [\"pol-vagt\"]\n",
      file: "/etc/c.toml")
    let rule = try #require(configuration.audiences["citizens"]?.approval)
    #expect(rule.approvers == ["pol-vagt"] && rule.required == 1 && rule.notSender)
    #expect(rule.remindEvery == .seconds(300) && rule.timeout == nil && rule.onTimeout == .hold)
    #expect(rule.flash == .send && rule.othersWait)
    #expect(configuration.audiences["staff"]?.approval == nil)
  }

  @Test(arguments: [
    ("approvers = [\"pol-vagt\"]\nrequired = 2\n", "required", "only 1 approvers"),
    ("approvers = [\"nobody\"]\n", "approvers", "no recipient \"nobody\""),
    ("approvers = [\"pol-vagt\", \"pol-vagt\"]\n", "approvers", "named twice"),
    ("approvers = [\"pol-vagt\"]\non_timeout = \"later\"\n", "on_timeout", "hold"),
    ("approvers = [\"pol-vagt\"]\non_timeout = \"send\"\n", "on_timeout", "give a timeout"),
    ("approvers = [\"pol-vagt\"]\ntimeout = \"3x\"\n", "timeout", "3x"),
    ("approvers = [\"pol-vagt\"]\nflash = \"hold\"\n", "flash", "refuse"),
    ("approvers = [\"pol-vagt\"]\nothers = \"maybe\"\n", "others", "wait"),
    ("approvers = [\"pol-vagt\"]\nremind_every = \"10s\"\n", "remind_every", "duration from"),
    ("approver = [\"pol-vagt\"]\n", "approver", "unknown"),
  ])
  func aBadRuleIsRefusedWithItsLine(rule: String, key: String, message: String) {
    do {
      _ = try ConfigurationLoader.parse(
        Self.base + "[audiences.citizens.approval]\n" + rule, file: "/etc/c.toml")
      Issue.record("\(rule) was taken")
    } catch {
      #expect("\(error)".contains("/etc/c.toml:") && "\(error)".contains(key), "\(error)")
      #expect("\(error)".contains(message), "\(error)")
    }
  }

  @Test func approvalNeedsAPublicURLForItsLinks() {
    let text = Self.base.replacingOccurrences(
      of: "[confirm]\npublic_url = \"https://commsd.kommune.example\"\n", with: "")
    #expect {
      try ConfigurationLoader.parse(
        text + "[audiences.citizens.approval]\napprovers = [\"pol-vagt\"]\n", file: "/etc/c.toml")
    } throws: { "\($0)".contains("set [confirm] public_url") }
  }

  @Test func tokensTakeTheOperatorsRights() throws {
    let hash = "sha256:" + String(repeating: "ab", count: 32)
    let tokens =
      try ConfigurationLoader.parse(
        Self.base + """
          [api]
          listen = "127.0.0.1:8080"
          [[api.tokens]]
          name = "politi"
          hash = "\(hash)"
          audiences = ["citizens"]
          rights = ["approve", "audit"]
          [[api.tokens]]
          name = "care"
          hash = "\(hash)"
          audiences = ["staff"]
          audit = true

          """, file: "/etc/c.toml"
      ).api?.tokens ?? []
    #expect(tokens.map(\.rights) == [[.approve, .audit], [.send, .cancel, .inbox, .audit]])
    #expect {
      try ConfigurationLoader.parse(
        Self.base
          + "[api]\nlisten = \"127.0.0.1:8080\"\n[[api.tokens]]\nname = \"x\"\nhash = \"\(hash)\"\naudiences = [\"staff\"]\nrights = [\"everything\"]\n",
        file: "/etc/c.toml")
    } throws: { "\($0)".contains("rights") && "\($0)".contains("expected send") }
  }
}
