import ArgumentParser
import CommsCore
import Foundation

/// Hands a composed request to intake, as `commsd send` and `commsd draft
/// send` do: the running daemon when there is one, else this process
/// writes the store; then prints the outcome (and, with `--wait`, follows it).
struct Handing {
  let options: ConfigOption
  let json: Bool
  let wait: Bool
  let command: String

  /// Hands `request` to intake and prints the outcome; `duplicate` says why
  /// a repeated request was not queued again.
  @discardableResult
  func submit(
    _ request: SendRequest, _ settings: HandOverSettings,
    duplicate: String = "already accepted earlier under this idempotency key; not queued again"
  ) async throws -> MessageID? {
    // The running daemon takes the request if there is one (see IntakeSocket);
    // otherwise this process loads the whole configuration, validates, writes
    // the store and rings the daemon's bell.
    let outcome: IntakeWire.Response
    do {
      switch try IntakeClient.submit(request, socketPath: settings.intakeSocketPath) {
      case .answered(let response): outcome = response
      case .daemonNotRunning: outcome = try await acceptDirectly(request, try options.load())
      }
    } catch let error as IntakeClient.LostAnswer {
      printError("\(command): \(error)")
      throw ExitCode(75)  // EX_TEMPFAIL
    }
    switch outcome {
    case .accepted(let id, let warnings, let awaiting):
      printOutcome(id, "accepted", warnings: warnings, awaitingApproval: awaiting)
      for warning in warnings { printError("\(command): warning: \(warning)") }
      if !awaiting.isEmpty {
        printError(
          "\(command): \(id) awaiting approval for \(awaiting.joined(separator: ", ")): nothing goes to them until approved (commsd status \(id))"
        )
      }
      if let release = request.notBefore, release > SystemClock().now() {
        printError(
          "\(command): \(id) scheduled until \(LocalTime.format(release)): nothing goes before then (commsd status \(id); commsd cancel \(id) to call it off)"
        )
      }
      if wait { try await watch(id, configPath: settings.file) }
      return id
    case .duplicate(let id):
      printOutcome(id, "duplicate")
      printError("\(command): \(duplicate)")
      if wait { try await watch(id, configPath: settings.file) }
      return id
    case .refused(let field, let message):
      printError("\(command): \(IntakeError(field: field, message))")
      throw ExitCode(65)  // EX_DATAERR
    case .conflict(let message):
      printError("\(command): \(message)")
      throw ExitCode(65)
    case .failed(let message):
      printError("\(command): \(message)")
      throw ExitCode(75)
    case .received:
      printError("\(command): the daemon took the request for a reply; nothing was sent")
      throw ExitCode(75)
    }
  }

  /// The id on standard output; with `--json`, `{"id": …, "outcome": …}`
  /// and the warnings, if any, as `"warnings": […]`.
  private func printOutcome(
    _ id: MessageID, _ outcome: String, warnings: [String] = [], awaitingApproval: [String] = []
  ) {
    guard json else { return print(id.rawValue) }
    struct Answer: Encodable {
      var id: String
      var outcome: String
      var warnings: [String]?
      var awaitingApproval: [String]?

      enum CodingKeys: String, CodingKey {
        case id, outcome, warnings
        case awaitingApproval = "awaiting_approval"
      }
    }
    let answer = Answer(
      id: id.rawValue, outcome: outcome, warnings: warnings.isEmpty ? nil : warnings,
      awaitingApproval: awaitingApproval.isEmpty ? nil : awaitingApproval)
    let data = (try? JSONCoding.encoder().encode(answer)) ?? Data()
    print(String(decoding: data, as: UTF8.self))
  }

  /// Intake in this process, for when no daemon runs: the same validation
  /// and the same durable commit, then a ring in case a daemon starts.
  private func acceptDirectly(
    _ request: SendRequest, _ configuration: Configuration
  ) async throws -> IntakeWire.Response {
    let intake: Intake
    do {
      intake = Intake(configuration: configuration, store: try configuration.openStore())
    } catch let error as PostgresError {
      // No primary to reach (a failover under way): nothing was taken.
      printError(
        "\(command): cannot reach the store \(configuration.storeDescription): \(error); nothing was accepted, try again"
      )
      throw ExitCode(75)  // EX_TEMPFAIL
    } catch {
      printError("\(command): cannot open the store \(configuration.storeDescription): \(error)")
      throw ExitCode.failure
    }
    do {
      try configuration.operators.authorize(
        request, account: geteuid(), loginUID: OperatorName.loginUID(ofProcess: "self"))
      let (message, fingerprint) = try intake.makeMessage(request)
      switch try await intake.store.accept(message, fingerprint: fingerprint) {
      case .accepted(let id):
        WakeSocket.ring(path: configuration.wakeSocketPath)
        return .accepted(
          id, warnings: await intake.smsWarnings(for: message),
          awaitingApproval: message.awaitingApproval)
      case .duplicate(let id):
        return .duplicate(id)
      }
    } catch let error as PostgresError {
      // The message may not have been stored; the same request again (with
      // the same --idempotency-key) cannot queue it twice.
      printError(
        "\(command): the store did not take the message: \(error); try again (with --idempotency-key, a retry cannot queue it twice)"
      )
      throw ExitCode(75)  // EX_TEMPFAIL
    } catch {
      guard let refusal = IntakeWire.refusal(error) else { throw error }
      await intake.recordRefusal(refusal, of: request)
      return refusal
    }
  }
}
