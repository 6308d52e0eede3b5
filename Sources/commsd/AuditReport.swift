import ArgumentParser
import CommsCore
import Foundation

/// `commsd audit report ID | --since T [--until T] [--format table|csv|html] [--output FILE]`:
/// the after-action report ("efterrapport") on one message or a period.
struct AuditReport: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write an after-action report on a message or a period (itself audited).",
    discussion: """
      Per audience: recipients, reached, unreachable, pending and withdrawn; the \
      time from acceptance to delivery (median and 95th percentile, nearest \
      rank); deliveries per channel and people per language; and who could not \
      be reached, and why. For a period, one section per message accepted in it \
      and totals per audience. HTML is one self-contained page with charts.
      """)

  enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, html }

  @OptionGroup var options: ConfigOption

  @Argument(help: "The message id (or give --since for a period).")
  var id: String?

  @Option(
    help: ArgumentHelp(
      "Messages accepted from this time (RFC 3339, or a duration back such as 24h).",
      valueName: "T"))
  var since: String?

  @Option(help: ArgumentHelp("Up to (not including) this time.", valueName: "T"))
  var until: String?

  @Option(help: "table, csv or html.")
  var format: Format = .table

  @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "FILE"))
  var output: String?

  func validate() throws {
    switch (id, since) {
    case (nil, nil):
      throw ValidationError("Give a message id, or --since for a period.")
    case (.some, .some):
      throw ValidationError("Give either a message id or --since, not both.")
    case (.some, nil) where until != nil:
      throw ValidationError("--until goes with --since.")
    default:
      break
    }
  }

  func run() async throws {
    let store = try await AuditStore.open(options, command: "commsd audit report")
    let now = SystemClock().now()
    let report: AfterActionReport
    var detail = ["format": format.rawValue, "output": output ?? "stdout"]
    var messageID: MessageID?
    if let id {
      guard MessageID.isWellFormed(id) else {
        printError("commsd audit report: \"\(id)\" is not a message id (they look like msg_01J…)")
        throw ExitCode(65)
      }
      guard
        let found = try await store.afterActionReport(message: MessageID(rawValue: id), at: now)
      else {
        printError("commsd audit report: no message \(id) in this store")
        throw ExitCode.failure
      }
      report = found
      messageID = MessageID(rawValue: id)
      detail["scope"] = "message"
      detail["message_id"] = id
    } else {
      let from = try time(since ?? "", option: "since")
      let to = try until.map { try time($0, option: "until") }
      report = try await store.afterActionReport(since: from, until: to, at: now)
      detail["scope"] = "period"
      detail["since"] = Timestamp.format(from)
      if let to { detail["until"] = Timestamp.format(to) }
    }
    detail["messages"] = String(report.messages.count)
    // Recorded before the report is written: the record of who looked at
    // what does not depend on the output succeeding.
    try await store.appendAudit([
      AuditEvent(
        kind: "audit.reported", at: now, messageID: messageID,
        actor: OperatorIdentity.current().description, detail: detail)
    ])
    let text: String
    switch format {
    case .table: text = ReportTable.render(report)
    case .csv: text = ReportCSV.render(report)
    case .html: text = ReportHTML.render(report)
    }
    if let output {
      do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
      } catch {
        printError("commsd audit report: cannot write \(output): \(error.localizedDescription)")
        throw ExitCode(73)  // EX_CANTCREAT
      }
    } else {
      FileHandle.standardOutput.write(Data(text.utf8))
    }
  }

  private func time(_ text: String, option: String) throws -> Date {
    try TimeArgument.date(text, option: option, command: "commsd audit report", direction: .back)
  }
}
