import ArgumentParser
import CommsCore

/// The `commsd` command: the daemon (`serve`) and the crisis staff's CLI.
@main
struct Commsd: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "commsd",
    abstract: "Targeted, dosed and audited crisis communication.",
    discussion: """
      Every subcommand reads the configuration given by --config \
      (default \(ConfigOption.defaultPath)).
      """,
    subcommands: [
      Serve.self, Send.self, Cancel.self, Status.self, ExportCap.self, Audit.self, Recipients.self,
      ConfigCommand.self, Token.self, Dead.self, Endpoints.self, Confirm.self, Inbox.self,
      Mailgate.self, Approve.self, Reject.self, Template.self, DraftCommand.self, User.self,
    ]
  )
}
