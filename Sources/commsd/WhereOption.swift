import ArgumentParser
import CommsCore

/// `--where KEY=VALUE[,VALUE…]`, shared by `send` and `recipients list`, so
/// both narrow an audience the same way.
struct WhereOption: ParsableArguments {
  @Option(
    name: .customLong("where"),
    help: ArgumentHelp(
      "Only recipients whose attribute KEY is one of the values (e.g. unit=solgaarden); repeat to narrow further.",
      valueName: "KEY=VALUE[,VALUE…]"))
  var conditions: [String] = []

  /// The filter, or exit 65 naming the malformed condition.
  func filter(command: String) throws -> RecipientFilter {
    var filter = RecipientFilter()
    for text in conditions {
      guard let condition = RecipientFilter.condition(parsing: text) else {
        printError("\(command): --where \"\(text)\": expected KEY=VALUE, e.g. unit=solgaarden")
        throw ExitCode(65)  // EX_DATAERR
      }
      filter.conditions.append(condition)
    }
    return filter
  }
}
