import Foundation
import Testing

@testable import CommsCore

/// `[[operators]]`: who may send to which audiences at which priority.
@Suite struct OperatorPolicyTests {
  static let configuration = """
    [audiences.staff]
    [audiences.citizens]
    [audiences.police]
    [[operators]]
    group = "krisestab"
    audiences = ["*"]
    max_priority = "flash"
    rights = ["send", "cancel", "approve", "audit", "inbox"]
    [[operators]]
    user = "mette"
    audiences = ["staff", "citizens"]
    [[operators]]
    user = "jens"
    audiences = ["police"]
    max_priority = "normal"
    rights = ["audit"]

    """

  static func request(_ audiences: [String], _ priority: Priority) -> SendRequest {
    SendRequest(
      audiences: audiences, priority: priority,
      contents: ["da": MessageContent(subject: "s", body: "b")],
      sender: Sender(kind: .cli, name: "x", origin: "h"))
  }

  @Test func entriesAreReadAndAPersonsEntriesCountTogether() throws {
    let policy = try ConfigurationLoader.parse(Self.configuration, file: "/etc/c.toml").operators
    #expect(policy.rules.count == 3)
    let mette = try #require(policy.scope(user: "mette", groups: ["users"]))
    #expect(mette.audiences == ["staff", "citizens"] && mette.maxPriority == .urgent)
    #expect(mette.rights == [.send, .cancel, .inbox])
    // In the crisis staff's group as well: every audience, flash, every right.
    let both = try #require(policy.scope(user: "mette", groups: ["krisestab"]))
    #expect(both.audiences == nil && both.maxPriority == .flash && both.rights.count == 5)
    #expect(policy.scope(user: "anna", groups: ["users"]) == nil)
  }

  @Test func aRequestOutsideTheScopeIsRefusedNamingTheField() throws {
    let policy = try ConfigurationLoader.parse(Self.configuration, file: "/etc/c.toml").operators
    let mette = try #require(policy.scope(user: "mette", groups: []))
    #expect(throws: Never.self) { try mette.authorize(Self.request(["staff"], .urgent)) }
    #expect { try mette.authorize(Self.request(["staff", "police"], .normal)) } throws: {
      ($0 as? IntakeError)?.field == "audiences" && "\($0)".contains("police")
    }
    #expect { try mette.authorize(Self.request(["staff"], .flash)) } throws: {
      ($0 as? IntakeError)?.field == "priority" && "\($0)".contains("at most urgent")
    }
    let jens = try #require(policy.scope(user: "jens", groups: []))
    #expect { try jens.authorize(Self.request(["police"], .normal)) } throws: {
      ($0 as? IntakeError)?.field == "operator" && "\($0)".contains("lacks the right \"send\"")
    }
    // Without [[operators]] nothing is refused (config check says so).
    let open = try ConfigurationLoader.parse("[audiences.staff]\n", file: "/etc/c.toml")
    #expect(throws: Never.self) {
      try open.operators.authorize(Self.request(["staff"], .flash), account: 4242, loginUID: nil)
    }
    // An account no entry names is no operator.
    #expect {
      try policy.authorize(Self.request(["staff"], .normal), account: 4242, loginUID: nil)
    } throws: {
      ($0 as? IntakeError)?.field == "operator" && "\($0)".contains("uid4242 is not an operator")
    }
  }

  /// The other rights: cancel, inbox, audit, approve, over the
  /// operator's audiences; superseding is cancelling too.
  @Test func eachRightIsItsOwnAndHeldOverTheOperatorsAudiences() throws {
    let policy = try ConfigurationLoader.parse(Self.configuration, file: "/etc/c.toml").operators
    let mette = try #require(policy.scope(user: "mette", groups: []))
    #expect(throws: Never.self) { try mette.authorize(.cancel, over: ["staff"]) }
    #expect(throws: Never.self) { try mette.authorize(.inbox) }
    #expect { try mette.authorize(.cancel, over: ["police"]) } throws: {
      ($0 as? IntakeError)?.field == "audiences" && "\($0)".contains("may not cancel for police")
    }
    #expect { try mette.authorize(.audit) } throws: {
      ($0 as? IntakeError)?.field == "operator"
        && "\($0)".contains("mette lacks the right \"audit\" (rights: cancel, inbox, send)")
    }
    let jens = try #require(policy.scope(user: "jens", groups: []))
    #expect(throws: Never.self) { try jens.authorize(.audit) }
    #expect { try jens.authorize(.approve, over: ["police"]) } throws: {
      ($0 as? IntakeError)?.field == "operator"
    }
    var superseding = Self.request(["staff"], .urgent)
    superseding.supersedes = MessageID(rawValue: "msg_01KBX6QW1M8V7Y2D3E4F5G6H7J")
    let sender = OperatorScope(
      person: "sara", audiences: nil, maxPriority: .flash, rights: [.send], rules: [])
    #expect { try sender.authorize(superseding) } throws: {
      "\($0)".contains("sara lacks the right \"cancel\"")
    }
    #expect(throws: Never.self) { try mette.authorize(superseding) }
  }

  @Test(arguments: [
    ("audiences = [\"staff\"]\n", "user", "name the Unix user"),
    ("user = \"a\"\ngroup = \"b\"\naudiences = [\"staff\"]\n", "group", "give one of user, group"),
    ("user = \"a\"\naudiences = [\"nobody-here\"]\n", "audiences", "unknown audience"),
    ("user = \"a\"\naudiences = [\"staff\"]\nmax_priority = \"top\"\n", "max_priority", "flash"),
    ("user = \"a\"\naudiences = [\"staff\"]\nrights = [\"all\"]\n", "rights", "expected send"),
    ("user = \"a b\"\naudiences = [\"staff\"]\n", "user", "not a Unix user"),
  ])
  func aBadEntryIsRefusedWithItsLine(entry: String, key: String, message: String) {
    do {
      _ = try ConfigurationLoader.parse(
        "[audiences.staff]\n[[operators]]\n" + entry, file: "/etc/c.toml")
      Issue.record("\(entry) was taken")
    } catch {
      #expect("\(error)".contains("/etc/c.toml:") && "\(error)".contains(key), "\(error)")
      #expect("\(error)".contains(message), "\(error)")
    }
  }

  @Test func anAccountIsLookedUpWithItsGroups() {
    let root = OperatorAccount(uid: 0)
    #expect(root.name == "root" && root.groups.contains("root"))
    #expect(OperatorAccount(uid: 4_000_000_000).name == "uid4000000000")
  }
}
