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
    let store = try await AuditStore.open(options, command: "commsd audit subject")
    let entries = try await store.subjectAccess(recipient: recipient)
    var filter = InboxFilter(states: [], limit: 10_000)
    filter.recipientID = recipient
    let questions = try await store.inquiries(filter).reversed()
    if json {
      struct Answer: Encodable {
        var deliveries: [SubjectEntry]
        var questions: [Inquiry]
      }
      let encoder = JSONCoding.encoder()
      encoder.outputFormatting.insert(.prettyPrinted)
      print(
        String(
          decoding: try encoder.encode(Answer(deliveries: entries, questions: Array(questions))),
          as: UTF8.self))
    } else if entries.isEmpty && questions.isEmpty {
      print("nothing was sent to \(recipient), and no question came from them")
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
      if !questions.isEmpty {
        print("\nQUESTIONS FROM \(recipient)")
        for question in questions {
          let about = question.bulletin.map { " on \(question.audience ?? "") #\($0)" } ?? ""
          var line =
            "\(LocalTime.format(question.receivedAt))  \(question.id)  \(question.channel.rawValue)\(about)  \(question.state.rawValue)"
          if let answer = question.answerMessageID, let at = question.answeredAt {
            line += ", answered \(LocalTime.format(at)) as \(answer)"
          }
          print(line)
          print("  " + Printable.quoted(question.text, limit: 500))
        }
      }
    }
    // Who looked at whose data is itself on record.
    try await store.appendAudit([
      AuditEvent(
        kind: "audit.subject_access", at: SystemClock().now(),
        actor: OperatorIdentity.current().description,
        detail: [
          "recipient": recipient, "deliveries": String(entries.count),
          "questions": String(questions.count),
        ])
    ])
  }
}
