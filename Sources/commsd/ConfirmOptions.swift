import ArgumentParser
import CommsCore

/// `commsd send --confirm …`: ask readers to confirm they understood, and
/// whom to turn to for those who have not.
struct ConfirmOptions: ParsableArguments {
  @Flag(
    help:
      "Ask each reader to confirm they understood (a link in the email and SMS, or `commsd confirm` for one taken by phone); `commsd status` shows who has not."
  )
  var confirm = false

  @Flag(
    name: .customLong("no-confirm"),
    help: "Ask for no confirmation, though the audience's configuration asks for one.")
  var noConfirm = false

  @Option(
    name: .customLong("confirm-within"),
    help: ArgumentHelp(
      "How long readers have to confirm (1m to 7d; 30m unless given); later ones count as late.",
      valueName: "DURATION"))
  var within: String?

  @Option(
    name: .customLong("escalate-after"),
    help: ArgumentHelp(
      "Turn to --escalate-to for those who have not confirmed after this long.",
      valueName: "DURATION"))
  var escalateAfter: String?

  @Option(
    name: .customLong("escalate-to"),
    help: ArgumentHelp(
      "@deputy (each person's deputy, the recipient attribute deputy) or an audience.",
      valueName: "TARGET"))
  var escalateTo: String?

  @Option(help: "How many waves at most (1 to 5), each --escalate-after the one before.")
  var cycles: Int?

  @Option(
    name: .customLong("responses-needed"),
    help: "Enough once this many confirmed: the rest are not chased.")
  var responsesNeeded: Int?

  /// Whether any confirmation option was given.
  var anyGiven: Bool {
    confirm || within != nil || escalateAfter != nil || escalateTo != nil || cycles != nil
      || responsesNeeded != nil
  }

  func validate() throws {
    if noConfirm && anyGiven {
      throw ValidationError("--no-confirm goes with none of the --confirm options")
    }
    if !confirm && anyGiven {
      throw ValidationError(
        "--confirm-within, --escalate-after, --escalate-to, --cycles and --responses-needed go with --confirm"
      )
    }
  }

  /// The request, or nil without --confirm; a bad value is named by its option.
  func request() throws(IntakeError) -> ConfirmationRequest? {
    guard confirm else { return nil }
    return try ConfirmationRequest.reading(
      within: within, escalateAfter: escalateAfter, escalateTo: escalateTo, cycles: cycles,
      responsesNeeded: responsesNeeded)
  }
}
