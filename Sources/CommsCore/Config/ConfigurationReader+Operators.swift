import Foundation

/// Reading `[[operators]]` (see `OperatorRule`).
extension ConfigurationReader {
  func readOperators(_ tables: [ConfigTable]?, audiences known: Set<String>) -> OperatorPolicy {
    var rules: [OperatorRule] = []
    for var table in tables ?? [] {
      let user = table.string("user")
      let group = table.string("group")
      let idpGroup = table.string("idp_group")
      let audienceList = table.strings("audiences", required: true) ?? []
      let priorityText = table.string("max_priority") ?? "urgent"
      let rightList = table.strings("rights") ?? [("send", 0), ("cancel", 0), ("inbox", 0)]
      table.rejectUnknownKeys()
      let given = [("user", user), ("group", group), ("idp_group", idpGroup)].filter {
        $0.1 != nil
      }
      guard given.count == 1, let (key, name) = given.first, let name else {
        if given.isEmpty {
          table.fail(
            "user",
            "name the Unix user or console account (user = \"…\"), the Unix group (group = \"…\") or the identity provider's group (idp_group = \"…\") it is for"
          )
        } else {
          table.fail(
            given[1].0, "give one of user, group and idp_group (one entry for each)")
        }
        continue
      }
      let who: OperatorRule.Who
      switch key {
      case "user" where Self.isAccountName(name): who = .user(name)
      case "group" where Self.isAccountName(name): who = .group(name)
      case "idp_group" where Self.isIdentityProviderGroup(name): who = .idpGroup(name)
      case "idp_group":
        table.fail(key, "expected a group name of 1 to 200 visible characters")
        continue
      default:
        table.fail(key, "not a Unix user or group name")
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

  /// A group as an identity provider names it (often a path such as
  /// `/kommune/krisestab` or a GUID): 1 to 200 visible characters.
  static func isIdentityProviderGroup(_ text: String) -> Bool {
    (1...200).contains(text.unicodeScalars.count)
      && !text.unicodeScalars.contains {
        $0.properties.isWhitespace || $0.properties.generalCategory == .control
      }
  }
}
