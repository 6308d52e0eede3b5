import ArgumentParser
import CommsCore
import Foundation

/// `commsd audit subject RECIPIENT`: everything sent to one person.
struct AuditSubject: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "subject",
    abstract: "List everything sent to one person (for a request for access); audited.")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The recipient id from the recipient list, e.g. care-2001.")
  var recipient: String

  @Flag(help: "Print JSON for scripts.")
  var json = false

  func run() async throws {
    let store = try StoreAccess.open(configPath: options.config, command: "commsd audit subject")
    let entries = try await store.subjectAccess(recipient: recipient)
    if json {
      let encoder = JSONCoding.encoder()
      encoder.outputFormatting.insert(.prettyPrinted)
      print(String(decoding: try encoder.encode(entries), as: UTF8.self))
    } else if entries.isEmpty {
      print("nothing was sent to \(recipient)")
    } else {
      var rows = [["ACCEPTED", "MESSAGE", "AUDIENCE", "CONTACT", "STATE", "DELIVERED", "SUBJECT"]]
      for entry in entries {
        rows.append([
          LocalTime.format(entry.acceptedAt), entry.messageID, entry.audience, entry.contact,
          entry.state,
          (entry.deliveredAt.map(LocalTime.format) ?? "")
            + (entry.confirmedByHandset ? " (handset)" : ""), entry.subject,
        ])
      }
      let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
      for row in rows {
        print(
          zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
      }
    }
    // Who looked at whose data is itself on record.
    try await store.appendAudit([
      AuditEvent(
        kind: "audit.subject_access", at: SystemClock().now(),
        actor: OperatorIdentity.current().description,
        detail: ["recipient": recipient, "deliveries": String(entries.count)])
    ])
  }
}
