import Foundation

/// A request to confirm, checked at intake: every bound named with the
/// option it came from (the API names them `confirm.…`).
extension Intake {
  func validate(_ confirmation: ConfirmationRequest, of request: SendRequest)
    throws(IntakeError)
  {
    try confirmation.checkBounds()
    switch confirmation.escalateTo {
    case .audience(let name) where configuration.audiences[name] == nil:
      let known = configuration.audiences.keys.sorted().joined(separator: ", ")
      throw IntakeError(field: "escalate-to", "unknown audience \"\(name)\" (known: \(known))")
    case .deputy where !directory.attributeNames.contains(ConfirmationRequest.deputyAttribute):
      throw IntakeError(
        field: "escalate-to",
        "no recipient names a deputy (the attribute \"\(ConfirmationRequest.deputyAttribute)\" in the recipient lists)"
      )
    default:
      break
    }
  }
}

extension ConfirmationRequest {
  /// The bounds every request keeps, wherever it comes from (a send, an
  /// audience's default): each failure named by its option.
  public func checkBounds() throws(IntakeError) {
    let within = ConfirmationRequest.withinRange
    guard within.contains(withinSeconds) else {
      throw IntakeError(
        field: "confirm-within",
        "is \(DurationText.format(.seconds(withinSeconds))); give 1m to 7d")
    }
    if let after = escalateAfterSeconds {
      guard (60...withinSeconds).contains(after) else {
        throw IntakeError(
          field: "escalate-after",
          "is \(DurationText.format(.seconds(after))); give 1m up to --confirm-within (\(DurationText.format(.seconds(withinSeconds))))"
        )
      }
    } else if let target = escalateTo {
      throw IntakeError(
        field: "escalate-to", "escalates to \(target) after --escalate-after: give that too")
    }
    guard ConfirmationRequest.cycleRange.contains(cycles) else {
      throw IntakeError(field: "cycles", "is \(cycles); give 1 to 5")
    }
    if cycles > 1, escalateAfterSeconds == nil {
      throw IntakeError(
        field: "cycles", "each cycle starts --escalate-after the one before: give that too")
    }
    if let needed = responsesNeeded, !(1...100_000).contains(needed) {
      throw IntakeError(field: "responses-needed", "is \(needed); give 1 or more")
    }
  }
}
