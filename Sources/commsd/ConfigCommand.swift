import ArgumentParser
import CommsCore

/// `commsd config …`
struct ConfigCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "config", abstract: "Work with the configuration.", subcommands: [Check.self])

  /// `commsd config check`: validate without starting anything.
  struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Validate the configuration; print each problem as file:line: key: problem.")

    @OptionGroup var options: ConfigOption

    @Flag(help: "Print JSON for scripts (problems still go to standard error, exit 78).")
    var json = false

    func run() async throws {
      let configuration = try options.load()
      let directory = configuration.directory
      // Valid but unsafe: said on standard error, and the exit stays 0.
      for warning in ConfigurationWarnings.of(configuration) {
        printError("\(configuration.file): warning: \(warning)")
      }
      if json {
        var members: [String: String] = [
          "file": configuration.file, "sha256": configuration.hash,
          "recipients": String(configuration.recipients.count),
          "data_dir": configuration.dataDirectory,
          "tokens": String(configuration.api?.tokens.count ?? 0),
        ]
        for name in configuration.audiences.keys {
          members["audience.\(name)"] = String(directory.members(of: name).count)
        }
        members["retention"] = configuration.retention.period.map(DurationText.format)
        members["api"] = configuration.api.map { "\($0.host):\($0.port)" }
        print(JSONWriter.object(members))
        return
      }
      let audiences = configuration.audiences.keys.sorted().map { name in
        "\(name) \(directory.members(of: name).count)"
      }
      print(
        "\(configuration.file): OK — \(configuration.recipients.count) recipients (\(audiences.joined(separator: ", "))), "
          + "\(configuration.relays.count) relay(s), \(configuration.endpoints.count) endpoint(s), data in \(configuration.dataDirectory)"
      )
      if let api = configuration.api {
        let transport =
          api.usesTLS ? "HTTPS" : APISettings.isLoopback(api.host) ? "HTTP, loopback" : "plain HTTP"
        print(
          "HTTP API on \(api.host):\(api.port) (\(transport)), \(api.tokens.count) token(s), \(api.hooks.count) hook source(s)"
        )
        if let console = configuration.console {
          let signIn =
            console.oidc.map { "the identity provider \($0.issuer) or a local account" }
            ?? "local accounts (commsd user add)"
          print(
            "web console at \(api.usesTLS ? "https" : "http")://\(api.host):\(api.port)/console: sign-in with \(signIn); sessions end after \(DurationText.format(console.sessionIdle)) unused, \(DurationText.format(console.sessionMax)) at most"
          )
          if !configuration.operators.isEnforced {
            // As for the intake socket below: a note, not a warning.
            print(
              "no [[operators]]: every local console account may do everything, and nobody may sign in through an identity provider"
            )
          }
        }
      }
      if let period = configuration.retention.period {
        print(
          "personal data is replaced by keyed hashes \(DurationText.format(period)) after acceptance (key \(configuration.retention.keyFile))"
        )
      } else {
        print("no [retention] period: personal data is kept until one is configured")
      }
      let operators = configuration.operators.rules
      if operators.isEmpty {
        print(
          "no [[operators]]: every user who may use the intake socket may send to every audience at any priority"
        )
      } else {
        print(
          "\(operators.count) [[operators]] entr\(operators.count == 1 ? "y" : "ies"): "
            + operators.map { rule in
              "\(rule.who) → \(rule.audiences.map { $0.sorted().joined(separator: "+") } ?? "every audience") up to \(rule.maxPriority.rawValue)"
            }.joined(separator: "; "))
      }
      for (name, audience) in configuration.audiences.sorted(by: { $0.key < $1.key }) {
        guard let rule = audience.approval else { continue }
        var line =
          "\(name) waits for approval by \(rule.required) of \(rule.approvers.joined(separator: ", "))"
          + (rule.notSender ? ", not the sender" : "")
          + "; reminded every \(DurationText.format(rule.remindEvery))"
        if let timeout = rule.timeout {
          line +=
            "; after \(DurationText.format(timeout)) \(rule.onTimeout == .hold ? "held" : "sent")"
        }
        line += rule.flash == .send ? "; flash goes at once, flagged" : "; flash refused"
        line += rule.othersWait ? "; the message's other audiences wait" : "; other audiences go"
        print(line)
      }
    }
  }
}
