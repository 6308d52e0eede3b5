import ArgumentParser
import CommsCore
import Foundation

/// `commsd token create NAME …`: a bearer token for the HTTP API.
struct Token: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Make bearer tokens for the HTTP API.", subcommands: [Create.self])

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print a new token once, and the lines that configure it.",
      discussion: """
        The token is shown only now; the configuration holds only its SHA-256. \
        Add the printed [[api.tokens]] lines to the configuration and reload \
        the daemon. To revoke a token, remove its lines.
        """)

    @OptionGroup var options: ConfigOption

    @Argument(help: "A name for the integrator, e.g. care-system (letters, digits, - and _).")
    var name: String

    @Option(
      help: ArgumentHelp(
        "The audiences it may send to and read, comma-separated.", valueName: "A,B"))
    var audiences: String

    @Option(help: "The most urgent priority it may send: flash, urgent, normal or bulk.")
    var maxPriority: Priority = .normal

    @Flag(help: "Only reading routes (GET).")
    var readOnly = false

    @Flag(help: "May read the audit log (GET /v1/audit).")
    var audit = false

    @Option(
      help: ArgumentHelp(
        "What it may do, instead of the default (send, cancel, inbox; audit with --audit): send, cancel, approve, audit, inbox.",
        valueName: "R,S"))
    var rights: String?

    @Flag(help: "Print JSON for scripts: the token and the lines' values.")
    var json = false

    func run() async throws {
      let configuration = try options.load()
      let names = audiences.split(separator: ",").map {
        $0.trimmingCharacters(in: .whitespaces)
      }.filter { !$0.isEmpty }
      guard !names.isEmpty else {
        printError("commsd token create: audiences: name at least one")
        throw ExitCode(65)
      }
      for audience in names where configuration.audiences[audience] == nil {
        let known = configuration.audiences.keys.sorted().joined(separator: ", ")
        printError(
          "commsd token create: audiences: unknown audience \"\(audience)\" (configured: \(known))")
        throw ExitCode(65)
      }
      guard
        name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }),
        !name.isEmpty
      else {
        printError("commsd token create: NAME: use letters, digits, - and _ only")
        throw ExitCode(65)
      }
      if configuration.api?.tokens.contains(where: { $0.name == name }) == true {
        printError("commsd token create: a token named \(name) is configured already")
        throw ExitCode(65)
      }
      var rightList: [String]?
      if let rights {
        rightList = rights.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for right in rightList ?? [] where OperatorRight(rawValue: right) == nil {
          printError(
            "commsd token create: rights: expected send, cancel, approve, audit or inbox, found \"\(Printable.quoted(right))\""
          )
          throw ExitCode(65)
        }
        if audit {
          printError("commsd token create: give the audit right in --rights, not --audit beside it")
          throw ExitCode(65)
        }
      }
      let made = APITokens.make()
      if json {
        print(
          JSONWriter.object([
            "name": name, "token": made.token, "hash": made.hash,
            "audiences": names.joined(separator: ","), "max_priority": maxPriority.rawValue,
            "read_only": String(readOnly), "audit": String(audit),
            "rights": rightList?.joined(separator: ",") ?? "",
          ]))
        return
      }
      print("token (shown once; give it to the integrator over a safe channel):")
      print("  \(made.token)")
      print("")
      print("add to \(configuration.file):")
      print("[[api.tokens]]")
      print("name = \"\(name)\"")
      print("hash = \"\(made.hash)\"")
      print("audiences = [\(names.map { "\"\($0)\"" }.joined(separator: ", "))]")
      print("max_priority = \"\(maxPriority.rawValue)\"")
      print("read_only = \(readOnly)")
      if let rightList {
        print("rights = [\(rightList.map { "\"\($0)\"" }.joined(separator: ", "))]")
      } else {
        print("audit = \(audit)")
      }
    }
  }
}
