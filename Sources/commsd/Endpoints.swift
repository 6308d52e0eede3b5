import ArgumentParser
import CommsCore
import Foundation

/// `commsd endpoints`: the configured webhook endpoints.
struct Endpoints: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check the webhook endpoints (SMS gateways, Teams, Slack, …).",
    subcommands: [Test.self])

  struct Test: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Send one test message through an endpoint and show its answer.",
      discussion: """
        One real request through the endpoint's format and authentication, \
        with a short message marked [TEST] to CONTACT (a phone number for an \
        SMS endpoint; anything, or nothing, for Teams and Slack). The request \
        (secrets hidden) and the receiver's answer are shown, and the test is \
        audited (endpoint.tested). Exits 0 when the receiver took it.
        """)

    @OptionGroup var options: ConfigOption

    @Argument(help: "The endpoint's name ([endpoints.NAME]).")
    var name: String

    @Option(help: ArgumentHelp("Where the test goes, e.g. +4520000002.", valueName: "ADDR"))
    var contact: String = ""

    func run() async throws {
      let configuration = try options.load()
      let operatorName = OperatorIdentity.current()
      let outcome: EndpointTest.Outcome
      do {
        outcome = try await EndpointTest.run(
          name, contact: contact, configuration: configuration,
          operatorName: operatorName.name)
      } catch {
        printError("commsd endpoints test: \(error)")
        throw ExitCode(65)
      }
      let format = configuration.endpoints[name]?.format.name ?? "?"
      print("POST to endpoint \(name) (\(format))")
      for header in outcome.headers { print("  \(header.name): \(header.value)") }
      print("")
      print(
        outcome.body.split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" }
          .joined(separator: "\n"))
      print("")
      let verdict: String
      switch outcome.result {
      case .delivered: verdict = "taken"
      case .accepted(_, let reference, _):
        verdict = "taken; a receipt will follow" + (reference.map { " (provider id \($0))" } ?? "")
      case .transient(_, let reason, _): verdict = "not taken, worth another try: \(reason)"
      case .permanent(_, let reason): verdict = "refused: \(reason)"
      }
      print("Answer: \(outcome.status == 0 ? "none" : "HTTP \(outcome.status)") — \(verdict)")
      if !outcome.answer.isEmpty { print("  \(outcome.answer)") }
      let store = try StoreAccess.open(configPath: options.config, command: "commsd endpoints test")
      try await store.appendAudit([
        AuditEvent(
          kind: "endpoint.tested", at: SystemClock().now(), actor: operatorName.description,
          detail: [
            "endpoint": name, "format": format, "status": String(outcome.status),
            "outcome": verdict,
          ])
      ])
      switch outcome.result {
      case .delivered, .accepted: return
      case .transient, .permanent: throw ExitCode.failure
      }
    }
  }
}
