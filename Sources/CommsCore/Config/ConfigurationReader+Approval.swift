import Foundation

/// Reading `[audiences.NAME.approval]` (see `ApprovalRule`).
extension ConfigurationReader {
  func readApproval(_ table: ConfigTable) -> ApprovalRule? {
    var table = table
    defer { table.rejectUnknownKeys() }
    let approvers = table.strings("approvers", required: true) ?? []
    let required = table.integer("required", in: 1...16).map { Int($0) } ?? 1
    let notSender = table.bool("not_sender") ?? true
    let remindEvery =
      table.duration("remind_every", in: .seconds(60)...(.seconds(86_400))) ?? .seconds(300)
    let timeout = table.duration("timeout", in: .seconds(60)...(.seconds(7 * 86_400)))
    let onTimeoutText = table.string("on_timeout") ?? "hold"
    let flashText = table.string("flash") ?? "send"
    let othersText = table.string("others") ?? "wait"
    var ok = !approvers.isEmpty
    if approvers.isEmpty, table.table["approvers"] != nil {
      table.fail("approvers", "name at least one approver (a recipient id)")
    }
    var seen = Set<String>()
    for (id, line) in approvers where !seen.insert(id).inserted {
      table.fail("approvers", "\"\(Printable.quoted(id))\" is named twice", line: line)
      ok = false
    }
    if required > seen.count, !seen.isEmpty {
      table.fail(
        "required", "\(required) approvals are required but only \(seen.count) approvers are named")
      ok = false
    }
    guard let onTimeout = ApprovalRule.OnTimeout(rawValue: onTimeoutText) else {
      table.fail(
        "on_timeout", "expected \"hold\" or \"send\", found \"\(Printable.quoted(onTimeoutText))\"")
      return nil
    }
    if table.table["on_timeout"] != nil, timeout == nil, table.table["timeout"] == nil {
      table.fail("on_timeout", "give a timeout for on_timeout to apply")
      ok = false
    }
    guard let flash = ApprovalRule.Flash(rawValue: flashText) else {
      table.fail(
        "flash", "expected \"send\" or \"refuse\", found \"\(Printable.quoted(flashText))\"")
      return nil
    }
    guard othersText == "wait" || othersText == "go" else {
      table.fail("others", "expected \"wait\" or \"go\", found \"\(Printable.quoted(othersText))\"")
      return nil
    }
    guard ok else { return nil }
    var rule = ApprovalRule(
      approvers: approvers.map(\.value), required: required, notSender: notSender,
      remindEvery: remindEvery, timeout: timeout, onTimeout: onTimeout, flash: flash,
      othersWait: othersText == "wait")
    rule.approverLines = approvers.map(\.line)
    rule.line = table.table.line
    return rule
  }

  /// Every approver must be a person in the recipient lists (`seen`: id →
  /// where it is defined; every recipient has a contact to be told on),
  /// and the links need `[confirm] public_url`.
  func checkApprovers(
    _ audiences: [String: Audience], seen: [String: String], confirm: ConfirmSettings
  ) {
    if confirm.publicURL == nil,
      let (name, audience) = audiences.sorted(by: { $0.key < $1.key }).first(where: {
        $0.value.approval != nil
      })
    {
      sink.add(
        ConfigError(
          file: file, line: audience.approval?.line ?? 0, key: "audiences.\(name).approval",
          message:
            "approvers are sent a link to approve on: set [confirm] public_url (the address their phones reach the API on)"
        ))
    }
    for (name, audience) in audiences.sorted(by: { $0.key < $1.key }) {
      guard let rule = audience.approval else { continue }
      for (id, line) in zip(rule.approvers, rule.approverLines) {
        let key = "audiences.\(name).approval.approvers"
        if seen[id] == nil {
          sink.add(
            ConfigError(
              file: file, line: line, key: key,
              message: "no recipient \"\(Printable.quoted(id))\" in the recipient lists"))
        }
      }
    }
  }
}
