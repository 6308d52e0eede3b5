import Foundation
import Logging

/// Plans the escalation waves that are due, in the planning loop's turn
/// (on a shared store one node plans at a time; the wave step itself also
/// takes a due wave only once).
public struct ConfirmationWaves: Sendable {
  let store: any Store
  let dosing: Dosing
  let policies: [String: DosingPolicy]
  let logger: Logger

  public init(
    store: any Store, dosing: Dosing, policies: [String: DosingPolicy], logger: Logger
  ) {
    self.store = store
    self.dosing = dosing
    self.policies = policies
    self.logger = logger
  }

  /// Plans every wave due at `now` over `directory`; returns how many
  /// waves were planned (stopped ones not counted).
  @discardableResult
  public func planDue(at now: Date, directory: RecipientDirectory) async throws -> Int {
    let due = try await store.dueWaves(now: now)
    guard !due.isEmpty else { return 0 }
    let planner = WavePlanner(dosing: dosing, directory: directory, policies: policies)
    var planned = 0
    for (id, dueAt) in due {
      let outcome = try await store.planWave(id, due: dueAt, at: now) { input in
        var generator = SystemRandomNumberGenerator()
        return planner.plan(input, using: &generator)
      }
      switch outcome {
      case .planned(let wave, let chased, let deliveries):
        planned += 1
        logger.notice(
          "confirmation wave planned",
          metadata: [
            "message": "\(id)", "wave": "\(wave)", "chased": "\(chased)",
            "deliveries": "\(deliveries)",
          ])
      case .stopped(let reason):
        logger.info(
          "confirmation waves stopped", metadata: ["message": "\(id)", "reason": "\(reason)"])
      case .taken:
        break
      }
    }
    return planned
  }
}
