import ArgumentParser
import CommsCore
import Foundation

/// `commsd audit retain [--older-than DURATION]`: the retention pass, now.
struct AuditRetain: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "retain",
    abstract: "Replace bodies and contact data older than the retention period by keyed hashes.",
    discussion: """
      The daemon does this by itself every [retention] check_every; this runs \
      one pass now, for the configured period or --older-than (e.g. on a data \
      protection officer's request). Only messages whose deliveries are all \
      final are touched. The audit chain still verifies afterwards. Audited \
      (message.pseudonymised, one event per message).
      """)

  @OptionGroup var options: ConfigOption

  @Option(
    help: ArgumentHelp(
      "Instead of the configured period: messages accepted more than this long ago (e.g. 30d, 0s).",
      valueName: "DURATION"))
  var olderThan: String?

  @Flag(help: "Print JSON for scripts.")
  var json = false

  func run() async throws {
    let configuration = try options.load()
    let period: Duration
    if let olderThan {
      switch DurationText.read(olderThan) {
      case .success(let parsed): period = parsed
      case .failure(let failure):
        printError("commsd audit retain: older-than: \(DurationText.explain(failure, olderThan))")
        throw ExitCode(65)
      }
    } else if let configured = configuration.retention.period {
      period = configured
    } else {
      printError(
        "commsd audit retain: no retention period: set [retention] period in \(configuration.file) or give --older-than"
      )
      throw ExitCode(78)
    }
    let key: [UInt8]
    do {
      key = try RetentionKey.load(path: configuration.retention.keyFile)
    } catch {
      printError("commsd audit retain: \(error)")
      throw ExitCode(78)
    }
    let store = try await AuditStore.open(options, command: "commsd audit retain")
    let now = SystemClock().now()
    let outcome = try await store.applyRetention(
      before: now.addingTimeInterval(-period.seconds), hash: KeyedHash(key: key), at: now,
      period: DurationText.format(period))
    if json {
      print(
        JSONWriter.object([
          "messages": String(outcome.messages), "deliveries": String(outcome.deliveries),
          "audit_events": String(outcome.auditEvents),
          "before": Timestamp.format(now.addingTimeInterval(-period.seconds)),
        ]))
      return
    }
    print(
      "pseudonymised \(outcome.messages) messages (\(outcome.deliveries) deliveries, \(outcome.auditEvents) audit events) accepted before \(LocalTime.format(now.addingTimeInterval(-period.seconds)))"
    )
  }
}
