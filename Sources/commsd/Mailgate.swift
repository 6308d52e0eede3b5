import ArgumentParser
import CommsCore
import Foundation

/// `commsd mailgate`: one email on standard input, as an MTA delivers to a
/// program (Postfix's `pipe` transport or `mailbox_command`), handed to
/// the running daemon over its intake socket as a reply.
///
/// Exit codes follow `sysexits.h`, which is how the MTA decides: 0 the
/// reply is durable (or was taken before: a redelivery is found by its
/// Message-ID); 75 (EX_TEMPFAIL) the daemon is not running, did not answer
/// or could not store it: the MTA keeps the mail queued and tries again;
/// 65 (EX_DATAERR) the input is no email, or has no sender to answer: the
/// MTA returns it; 64 (EX_USAGE) wrong arguments. It never writes the
/// store itself: the MTA's queue is the safer place to wait.
struct Mailgate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Hand one email on standard input (a reply) to the daemon, for an MTA's pipe.",
    discussion: """
      Postfix master.cf:
        commsd unix - n n - - pipe flags=Rq null_sender= user=commsd
          argv=/usr/local/bin/commsd mailgate --recipient ${original_recipient} --sender ${sender}
      Exit 0: taken. 75: try again later (the daemon is down). 65: not an email.
      """)

  @OptionGroup var options: ConfigOption

  @Option(
    help: ArgumentHelp(
      "The envelope recipient (with its +dlv_… tag), e.g. Postfix's ${original_recipient}.",
      valueName: "ADDRESS"))
  var recipient: String?

  @Option(
    help: ArgumentHelp(
      "The envelope sender (empty for a bounce), e.g. Postfix's ${sender}.", valueName: "ADDRESS"))
  var sender: String?

  @Option(
    help: ArgumentHelp(
      "The daemon's intake socket, instead of the configuration's.", valueName: "PATH"))
  var socket: String?

  /// The most read from standard input; the rest is read and dropped (an
  /// attachment), so the MTA sees the whole message taken.
  static let maxBytes = 4 * 1024 * 1024

  func run() async throws {
    let bytes = Self.readStandardInput(limit: Self.maxBytes)
    let reply: IncomingReply
    do {
      reply = try InboundMail.reply(bytes, recipient: recipient, sender: sender)
    } catch {
      printError("commsd mailgate: \(error)")
      throw ExitCode(65)  // EX_DATAERR: the MTA returns it
    }
    let path: String
    if let socket {
      path = socket
    } else {
      guard let settings = try? ConfigurationLoader.handOver(path: options.config) else {
        printError(
          "commsd mailgate: cannot read \(options.config); the mail stays queued (give --socket, or fix the file)"
        )
        throw ExitCode(75)
      }
      path = settings.intakeSocketPath
    }
    let outcome: IntakeClient.Outcome
    do {
      outcome = try IntakeClient.submit(reply: reply, socketPath: path)
    } catch {
      printError("commsd mailgate: \(error); the mail stays queued")
      throw ExitCode(75)
    }
    switch outcome {
    case .daemonNotRunning:
      printError("commsd mailgate: no daemon answers at \(path); the mail stays queued")
      throw ExitCode(75)  // EX_TEMPFAIL
    case .answered(.received(let what, let inquiry)):
      print([what, inquiry?.rawValue].compactMap { $0 }.joined(separator: " "))
    case .answered(.refused(let field, let message)):
      printError("commsd mailgate: \(field): \(message)")
      throw ExitCode(65)
    case .answered(let other):
      printError("commsd mailgate: the daemon answered \(other); the mail stays queued")
      throw ExitCode(75)
    }
  }

  /// Standard input up to `limit` bytes; anything after is read and dropped.
  static func readStandardInput(limit: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    let input = FileHandle.standardInput
    while true {
      let chunk = input.readData(ofLength: 64 * 1024)
      if chunk.isEmpty { break }
      if bytes.count < limit { bytes += chunk.prefix(limit - bytes.count) }
    }
    return bytes
  }
}
