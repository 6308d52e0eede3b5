import ArgumentParser
import CommsCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// `commsd user`: the console's local accounts, for an install without
/// the municipality's identity provider. Whoever may write the store may
/// manage them (as with `commsd token create` and the configuration).
struct User: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Local console accounts: add, passwd, disable, list.",
    discussion: """
      Passwords are hashed with scrypt (memory-hard) and never shown or \
      logged; every change is audited under who made it. Five wrong \
      passwords in a row lock an account for 15 minutes; `commsd user passwd` \
      lifts the lock.
      """,
    subcommands: [UserAdd.self, UserPasswd.self, UserDisable.self, UserList.self])

  static func checkedName(_ text: String, command: String) throws -> String {
    guard ConsoleAccount.isName(text) else {
      printError(
        "\(command): \"\(Printable.quoted(text))\" is not an account name (a lower-case letter, then letters, digits, ., - or _; 2 to 64)"
      )
      throw ExitCode(65)
    }
    return text
  }

  /// The new password: from standard input with `--password-stdin` (one
  /// line), else typed twice at the terminal without echo.
  static func newPassword(fromStandardInput: Bool, command: String) throws -> PasswordHash {
    let password: String
    if fromStandardInput {
      password = readLine(strippingNewline: true) ?? ""
    } else {
      guard isatty(STDIN_FILENO) == 1 else {
        printError("\(command): no terminal to type the password at; give --password-stdin")
        throw ExitCode(65)
      }
      let first = try typed("New password: ")
      guard try typed("Again: ") == first else {
        printError("\(command): the two passwords differ; nothing changed")
        throw ExitCode(65)
      }
      password = first
    }
    do {
      return try PasswordHash.make(password)
    } catch let problem as PasswordHash.Problem {
      printError("\(command): \(problem); nothing changed")
      throw ExitCode(65)
    }
  }

  /// A line typed at the terminal with echo off (restored afterwards).
  private static func typed(_ prompt: String) throws -> String {
    FileHandle.standardError.write(Data(prompt.utf8))
    var saved = termios()
    tcgetattr(STDIN_FILENO, &saved)
    var quiet = saved
    quiet.c_lflag &= ~tcflag_t(ECHO)
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
    defer {
      tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
      FileHandle.standardError.write(Data("\n".utf8))
    }
    return readLine(strippingNewline: true) ?? ""
  }

}

struct UserAdd: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add", abstract: "Make an account; asks for its password.")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The name to sign in with, e.g. anna.berg.")
  var account: String

  @Option(help: "The name shown in the console and the audit, e.g. \"Anna Berg\".")
  var name: String

  @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.")
  var passwordStdin = false

  func run() async throws {
    let command = "commsd user add"
    let account = try User.checkedName(account, command: command)
    do {
      try ConsoleAccount.checkDisplayName(name)
    } catch {
      printError("\(command): --name: \(error.message)")
      throw ExitCode(65)
    }
    let hash = try User.newPassword(fromStandardInput: passwordStdin, command: command)
    let store = try Cancel.openStore(try options.handOver(), command: command)
    try await refusingStore(command) {
      try await store.addConsoleAccount(
        account, displayName: name.trimmingCharacters(in: .whitespaces), hash: hash,
        by: OperatorIdentity.current().description, at: SystemClock().now())
    }
    print("\(account) added")
  }
}

struct UserPasswd: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "passwd", abstract: "Set an account's password (and lift a lockout).")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The account.")
  var account: String

  @Flag(help: "Enable the account again, if it was disabled.")
  var enable = false

  @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.")
  var passwordStdin = false

  func run() async throws {
    let command = "commsd user passwd"
    let account = try User.checkedName(account, command: command)
    let hash = try User.newPassword(fromStandardInput: passwordStdin, command: command)
    let store = try Cancel.openStore(try options.handOver(), command: command)
    try await refusingStore(command) {
      try await store.setConsolePassword(
        account, hash: hash, enable: enable, by: OperatorIdentity.current().description,
        at: SystemClock().now())
    }
    print("\(account): password changed\(enable ? "; enabled" : "")")
  }
}

struct UserDisable: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "disable", abstract: "Stop an account from signing in (it stays on record).")

  @OptionGroup var options: ConfigOption

  @Argument(help: "The account.")
  var account: String

  func run() async throws {
    let command = "commsd user disable"
    let account = try User.checkedName(account, command: command)
    let store = try Cancel.openStore(try options.handOver(), command: command)
    try await refusingStore(command) {
      try await store.disableConsoleAccount(
        account, by: OperatorIdentity.current().description, at: SystemClock().now())
    }
    print("\(account) disabled")
  }
}

struct UserList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "The accounts: who, since when, disabled or locked.")

  @OptionGroup var options: ConfigOption

  @Flag(help: "Print JSON.")
  var json = false

  func run() async throws {
    let store = try Cancel.openStore(try options.handOver(), command: "commsd user list")
    let accounts = try await store.consoleAccounts()
    if json { return print(try Status.json(accounts)) }
    guard !accounts.isEmpty else { return print("no accounts") }
    let now = SystemClock().now()
    var rows = [["ACCOUNT", "NAME", "CREATED", "BY", "PASSWORD SET", "STATE"]]
    for account in accounts {
      let state =
        account.disabledAt.map { "disabled \(LocalTime.format($0))" }
        ?? account.lockedUntil.flatMap { $0 > now ? "locked until \(LocalTime.format($0))" : nil }
        ?? "enabled"
      rows.append([
        account.name, account.displayName, LocalTime.format(account.createdAt), account.createdBy,
        LocalTime.format(account.passwordChangedAt), state,
      ])
    }
    print(Dashboard.table(rows), terminator: "")
  }
}
