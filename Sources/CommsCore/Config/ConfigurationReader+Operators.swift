import Foundation

/// Reading `[[operators]]` (see `OperatorRule`).
extension ConfigurationReader {
  func readOperators(_ tables: [ConfigTable]?, audiences known: Set<String>) -> OperatorPolicy {
    var rules: [OperatorRule] = []
    for var table in tables ?? [] {
      let user = table.string("user")
      let group = table.string("group")
      let audienceList = table.strings("audiences", required: true) ?? []
      let priorityText = table.string("max_priority") ?? "urgent"
      let rightList = table.strings("rights") ?? [("send", 0), ("cancel", 0), ("inbox", 0)]
      table.rejectUnknownKeys()
      let who: OperatorRule.Who
      switch (user, group) {
      case (let user?, nil) where Self.isAccountName(user): who = .user(user)
      case (nil, let group?) where Self.isAccountName(group): who = .group(group)
      case (nil, nil):
        table.fail("user", "name the Unix user (user = \"…\") or group (group = \"…\") it is for")
        continue
      case (.some, .some):
        table.fail("group", "give user or group, not both (two entries for both)")
        continue
      default:
        table.fail(user != nil ? "user" : "group", "not a Unix user or group name")
        continue
      }
      var audiences: Set<String>? = []
      var ok = true
      for (audience, line) in audienceList {
        if audience == "*" {
          audiences = nil
        } else if known.contains(audience) {
          audiences?.insert(audience)
        } else {
          table.fail("audiences", "unknown audience \"\(Printable.quoted(audience))\"", line: line)
          ok = false
        }
      }
      guard let priority = Priority(rawValue: priorityText) else {
        table.fail(
          "max_priority",
          "expected flash, urgent, normal or bulk, found \"\(Printable.quoted(priorityText))\"")
        continue
      }
      var rights = Set<OperatorRight>()
      for (text, line) in rightList {
        guard let right = OperatorRight(rawValue: text) else {
          table.fail(
            "rights",
            "expected send, cancel, approve, audit or inbox, found \"\(Printable.quoted(text))\"",
            line: line == 0 ? nil : line)
          ok = false
          continue
        }
        rights.insert(right)
      }
      if ok {
        rules.append(
          OperatorRule(who: who, audiences: audiences, maxPriority: priority, rights: rights))
      }
    }
    return OperatorPolicy(rules)
  }

  /// A POSIX account or group name: letters, digits, `.`, `_`, `-`, at most 32.
  static func isAccountName(_ text: String) -> Bool {
    (1...32).contains(text.count)
      && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
      && text.first != "-"
  }
}
