import ArgumentParser
import CommsCore
import Foundation

/// `commsd audit …`: the tamper-evident record of what was sent to whom.
struct Audit: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Verify, export and report on the audit log.",
    subcommands: [
      AuditVerify.self, AuditExport.self, AuditSubject.self, AuditReport.self, AuditRetain.self,
    ])
}

/// Opens the store named by the configuration, for the audit commands,
/// once the operator's `audit` right is established (`Mandate`).
enum AuditStore {
  static func open(_ options: ConfigOption, command: String) async throws -> any Store {
    let settings = try options.handOver()
    let store = try Cancel.openStore(settings, command: command)
    try await Mandate.require(.audit, settings: settings, store: store, command: command)
    return store
  }
}

/// `commsd audit verify [--head SEQ:HASH]`.
struct AuditVerify: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check the whole hash chain; name the first event altered, removed or reordered.",
    discussion: """
      Exit 0 when the chain is whole, 1 when it is not. With --head, the chain \
      must also still hold an event SEQ with HASH, as logged earlier in the \
      journal ("audit chain head"): that catches the newest events being removed.
      """)

  @OptionGroup var options: ConfigOption

  @Option(help: ArgumentHelp("A head logged earlier, e.g. 1234:9f86d0….", valueName: "SEQ:HASH"))
  var head: String?

  @Flag(help: "Print JSON for scripts.")
  var json = false

  func run() async throws {
    let store = try await AuditStore.open(options, command: "commsd audit verify")
    switch try await store.verifyAudit() {
    case .broken(let sequence, let kind, let reason):
      print(
        json
          ? JSONWriter.object([
            "intact": "false", "sequence": String(sequence), "kind": kind, "reason": reason,
          ]) : "BROKEN at event \(sequence) (\(kind)): \(reason)")
      throw ExitCode.failure
    case .intact(let events, let headSequence, let headHash):
      if let head {
        let parts = head.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let sequence = Int64(parts[0]) else {
          printError("commsd audit verify: head: expected SEQ:HASH, e.g. 1234:9f86d0…")
          throw ExitCode(65)
        }
        let stored = try await store.auditHash(at: sequence)
        guard stored == parts[1] else {
          print(
            stored == nil
              ? "BROKEN: event \(sequence) of the logged head is gone (the chain ends at \(headSequence))"
              : "BROKEN: event \(sequence) differs from the logged head")
          throw ExitCode.failure
        }
      }
      print(
        json
          ? JSONWriter.object([
            "intact": "true", "events": String(events), "head": "\(headSequence):\(headHash)",
          ]) : "intact: \(events) events; head \(headSequence):\(headHash)")
    }
  }
}

/// `commsd audit export --since T [--until T] --format jsonl|csv`.
struct AuditExport: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write the events of a period as JSON lines or CSV (the export is itself audited).")

  enum Format: String, ExpressibleByArgument { case jsonl, csv }

  @OptionGroup var options: ConfigOption

  @Option(
    help: ArgumentHelp("From this time (RFC 3339, or a duration back such as 24h).", valueName: "T")
  )
  var since: String

  @Option(help: ArgumentHelp("Up to (not including) this time.", valueName: "T"))
  var until: String?

  @Option(help: "jsonl or csv.")
  var format: Format = .jsonl

  func run() async throws {
    let store = try await AuditStore.open(options, command: "commsd audit export")
    let from = try time(since, option: "since")
    let to = try until.map { try time($0, option: "until") }
    // Recorded before the first line is printed, so an export that is
    // interrupted, or read by someone who then deletes the file, is on
    // record all the same; it covers the events up to the head at this moment.
    let through = try await store.auditHead()?.sequence ?? 0
    var detail = [
      "since": Timestamp.format(from), "format": format.rawValue, "through": String(through),
    ]
    if let to { detail["until"] = Timestamp.format(to) }
    try await store.appendAudit([
      AuditEvent(
        kind: "audit.exported", at: SystemClock().now(),
        actor: OperatorIdentity.current().description,
        detail: detail)
    ])
    if format == .csv {
      print("seq,at,kind,message_id,delivery_id,actor,detail,prev_hash,hash,personal")
    }
    var after: Int64 = 0
    while after < through {
      let page = try await store.auditLinks(since: from, until: to, after: after, limit: 5000)
        .filter { $0.sequence <= through }
      guard let last = page.last else { break }
      for link in page { print(line(link)) }
      after = last.sequence
    }
  }

  private func line(_ link: AuditChain.Link) -> String {
    let fields: [(String, String)] = [
      ("seq", String(link.sequence)), ("at", link.at), ("kind", link.kind),
      ("message_id", link.messageID ?? ""), ("delivery_id", link.deliveryID ?? ""),
      ("actor", link.actor), ("detail", link.detail), ("prev_hash", link.previous),
      ("hash", link.hash), ("personal", link.personal ?? ""),
    ]
    switch format {
    case .csv:
      return fields.map { ReportCSV.field($0.1) }.joined(separator: ",")
    case .jsonl:
      return link.exportJSON
    }
  }

  private func time(_ text: String, option: String) throws -> Date {
    try TimeArgument.date(text, option: option, command: "commsd audit export", direction: .back)
  }
}
