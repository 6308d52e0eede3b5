import ArgumentParser
import CommsCore
import Foundation

/// `commsd recipients …`: look into the recipient directory (inline
/// recipients and CSV lists) the way a message would be targeted.
struct Recipients: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "recipients",
    abstract: "List and check recipients and recipient lists.",
    subcommands: [List.self, Check.self])

  /// `commsd recipients list --audience A [--where k=v …] [--json]`
  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List who a message to an audience would reach.",
      discussion: """
        --where narrows by recipient attributes as `commsd send` does: every \
        condition must hold, a condition may allow several values \
        (--where unit=solgaarden,aabo) and values are compared without case.
        """)

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("The audience, e.g. relatives.", valueName: "A"))
    var audience: String

    @OptionGroup var selection: WhereOption

    @Flag(help: "Print a JSON array for scripts.")
    var json = false

    func run() async throws {
      let configuration = try options.load()
      guard configuration.audiences[audience] != nil else {
        let known = configuration.audiences.keys.sorted().joined(separator: ", ")
        printError(
          "commsd recipients list: unknown audience \"\(audience)\"; the configured audiences are \(known)"
        )
        throw ExitCode(65)  // EX_DATAERR
      }
      let filter = try selection.filter(command: "commsd recipients list")
      // The planner's own lookup, so the list shows whom `send` would reach.
      let directory = configuration.directory
      let members = directory.members(of: audience)
      let recipients = directory.members(of: audience, matching: filter)
      // A misspelt attribute matches nobody; say so rather than only print an empty list.
      for condition in filter.conditions
      where !members.contains(where: { $0.attributes[condition.attribute] != nil }) {
        let lowered = condition.attribute.lowercased()
        let hint =
          lowered != condition.attribute && members.contains { $0.attributes[lowered] != nil }
          ? " (attribute names are lower-case: \(lowered))" : ""
        printError(
          "commsd recipients list: no recipient in \(audience) has the attribute \"\(condition.attribute)\"\(hint)"
        )
      }
      if json {
        print(try RecipientListing.json(recipients))
      } else {
        print(RecipientListing.table(recipients))
        printError("\(recipients.count) of \(members.count) recipients in \(audience)")
      }
    }
  }

  /// `commsd recipients check`
  struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Validate the configuration and every recipient list.",
      discussion: """
        Prints each bad row as file:line: column: reason and exits 78 if there \
        is any; a bad row is never skipped in silence.
        """)

    @OptionGroup var options: ConfigOption

    func run() async throws {
      // The loader reads every list and reports every bad row (exit 78).
      let configuration = try options.load()
      let directory = configuration.directory
      let audiences = configuration.audiences.keys.sorted().map { name in
        "\(name) \(directory.members(of: name).count)"
      }
      let lists = configuration.recipientLists.count
      print(
        "\(configuration.recipients.count) recipients in \(lists) list\(lists == 1 ? "" : "s"): OK "
          + "(\(audiences.joined(separator: ", ")))")
    }
  }
}

/// The forms `commsd recipients list` prints.
enum RecipientListing {
  /// One JSON object per recipient, contacts in their configuration form.
  struct Entry: Encodable {
    var id: String
    var name: String
    var audiences: [String]
    var contacts: [String]
    var language: String
    var timeZone: String
    var attributes: [String: String]

    enum CodingKeys: String, CodingKey {
      case id, name, audiences, contacts, language, attributes
      case timeZone = "time_zone"
    }

    init(_ recipient: Recipient) {
      id = recipient.id
      name = recipient.name
      audiences = recipient.audiences
      contacts = recipient.contacts.map(\.description)
      language = recipient.language
      timeZone = recipient.timeZone
      attributes = recipient.attributes
    }
  }

  static func json(_ recipients: [Recipient]) throws -> String {
    // The pretty-printing encoder writes an empty array over three lines.
    guard !recipients.isEmpty else { return "[]" }
    let encoder = JSONCoding.encoder()
    encoder.outputFormatting.insert(.prettyPrinted)
    return String(decoding: try encoder.encode(recipients.map(Entry.init)), as: UTF8.self)
  }

  static func table(_ recipients: [Recipient]) -> String {
    var rows = [["ID", "NAME", "AUDIENCES", "CONTACTS", "LANGUAGE", "ATTRIBUTES"]]
    for recipient in recipients {
      let attributes = recipient.attributes.sorted { $0.key < $1.key }.map {
        "\($0.key)=\($0.value)"
      }
      rows.append(
        [
          recipient.id, recipient.name, recipient.audiences.joined(separator: ","),
          recipient.contacts.map(\.description).joined(separator: " | "), recipient.language,
          attributes.joined(separator: " "),
        ].map(oneLine))
    }
    let widths = (0..<rows[0].count - 1).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
      var line = ""
      for (column, cell) in row.enumerated() {
        line += cell
        if column < widths.count {
          line += String(repeating: " ", count: widths[column] - cell.count + 2)
        }
      }
      return line
    }.joined(separator: "\n")
  }

  /// Attributes may hold line breaks from quoted CSV cells; a table row may not.
  private static func oneLine(_ text: String) -> String {
    text.contains(where: \.isNewline)
      ? text.split(whereSeparator: \.isNewline).joined(separator: " ") : text
  }
}
