import Foundation

/// Reading the optional `[cap]` section (see `CAPSettings`).
extension ConfigurationReader {
  /// `[cap]`; every audience it names must be configured under
  /// `[audiences]` (`audiences` holds their names as written).
  func readCAP(_ table: ConfigTable?, audiences: Set<String>) -> CAPSettings {
    guard var table else { return CAPSettings() }
    var sender: String?
    var senderName: String?
    var category = CAPCategory.other
    if let text = table.string("sender") {
      do {
        try CAPFields.checkIdentifier(text, "", 0)
        sender = text
      } catch {
        table.fail("sender", "not usable as a CAP sender: \(error.message)")
      }
    }
    if let name = table.string("sender_name") {
      if name.trimmingCharacters(in: .whitespaces).isEmpty || name.contains(where: \.isNewline) {
        table.fail("sender_name", "give one line of text")
      } else {
        senderName = name
      }
    }
    if let text = table.string("category") {
      if let found = CAPCategory.allCases.first(where: {
        CAPSettings.key($0.rawValue) == CAPSettings.key(text)
      }) {
        category = found
      } else {
        let allowed = CAPCategory.allCases.map(\.rawValue).joined(separator: ", ")
        table.fail("category", "expected one of \(allowed); found \"\(text)\"")
      }
    }
    var map: [String: [String]] = [:]
    var defaults: [String] = []
    if let mapping = table.table("audiences") {
      (map, defaults) = readCAPAudiences(mapping, audiences: audiences)
    }
    table.rejectUnknownKeys()
    return CAPSettings(
      sender: sender, senderName: senderName, category: category, audienceMap: map,
      defaultAudiences: defaults)
  }

  /// `[cap.audiences]`: `default` and the keys that map alerts to audiences.
  private func readCAPAudiences(
    _ table: ConfigTable, audiences: Set<String>
  ) -> (map: [String: [String]], defaults: [String]) {
    var table = table
    var map: [String: [String]] = [:]
    var defaults: [String] = []
    // Where each key was written, by its compared form: two keys that
    // differ only in case or spacing would match the same alerts.
    var seen: [String: String] = [:]
    for name in table.keys {
      guard let values = table.strings(name) else { continue }
      if name != "default" {
        let key = CAPSettings.key(name)
        if key.isEmpty {
          table.fail(name, "an empty key matches no CAP audience or category")
          continue
        }
        if let first = seen[key] {
          table.fail(name, "matches the same alerts as \"\(first)\" (case and spacing are ignored)")
          continue
        }
        seen[key] = name
      }
      if values.isEmpty {
        table.fail(name, "name at least one audience")
        continue
      }
      var names: [String] = []
      for (audience, line) in values {
        guard audiences.contains(audience) else {
          let known = audiences.sorted().joined(separator: ", ")
          table.fail(
            name,
            "unknown audience \"\(audience)\" (configured: \(known.isEmpty ? "none" : known))",
            line: line)
          continue
        }
        if names.contains(audience) {
          table.fail(name, "\"\(audience)\" is named twice", line: line)
          continue
        }
        names.append(audience)
      }
      if name == "default" { defaults = names } else { map[name] = names }
    }
    table.rejectUnknownKeys()
    return (map, defaults)
  }
}
