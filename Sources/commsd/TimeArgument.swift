import ArgumentParser
import CommsCore
import Foundation

/// A time typed on the command line: RFC 3339, or a duration from now
/// (`--expires 2h`) or back from now (`--since 24h`). Typed in a hurry, so
/// every value is bounded (a duration by `DurationText.maximum`, a time by
/// the years 0001–9999) and a refusal names the option and what was wrong.
enum TimeArgument {
  enum Direction {
    case ahead
    case back
  }

  /// The time `text` means, or exit 65 (EX_DATAERR) with the reason.
  static func date(
    _ text: String, option: String, command: String, direction: Direction,
    now: Date = SystemClock().now()
  ) throws -> Date {
    if let date = Timestamp.parse(text) { return date }
    switch DurationText.read(text) {
    case .success(let duration):
      return now.addingTimeInterval(direction == .ahead ? duration.seconds : -duration.seconds)
    case .failure(.tooLong):
      printError("\(command): \(option): \(DurationText.explain(.tooLong, text))")
    case .failure(.malformed):
      let example = direction == .ahead ? "2026-11-25T18:00:00+01:00" : "2026-11-25T08:00:00+01:00"
      printError(
        "\(command): \(option): \"\(Printable.quoted(text))\" is neither a time such as \(example) nor a duration such as \(direction == .ahead ? "2h" : "24h")"
      )
    }
    throw ExitCode(65)
  }
}
