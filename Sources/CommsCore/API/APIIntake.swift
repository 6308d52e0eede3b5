import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Intake over HTTP: a message from a route goes through the daemon's own
/// intake (`DaemonIntake`), as `commsd send` does, and its outcome becomes
/// the route's answer: 202 once durable, the same answer for a repeated
/// idempotency key with the same body, 409 with another body.
struct APIIntake: Sendable {
  let intake: DaemonIntake
  let defaultLanguage: String
  let logger: Logger

  /// Stores `message`; `language` names the body's language for a field in
  /// a refusal (`subject` of a body in `en` is `contents.en.subject`).
  func enqueue(_ message: SendRequest, language: String? = nil) async throws -> Response {
    switch await intake.accept(message) {
    case .accepted(let id, let warnings, let awaiting):
      return Self.accepted(id, warnings: warnings, awaitingApproval: awaiting)
    case .duplicate(let id):
      return Self.accepted(id)
    case .refused(let field, let detail):
      throw Problem.invalid(
        MessageRequestBody.apiField(
          field, language: language ?? defaultLanguage, defaultLanguage: defaultLanguage), detail)
    case .conflict:
      throw Problem(
        .conflict, "this Idempotency-Key was used before for a message with other content",
        field: "Idempotency-Key")
    case .failed(let detail):
      throw storeFailed(detail)
    case .received:
      throw storeFailed("a message was taken as a reply")
    }
  }

  /// `?dry_run=true`: 200 with what `message` would do (`DryRunReport`);
  /// a refusal is the same 422 a real send gets.
  func dryRun(_ message: SendRequest, language: String? = nil) async throws -> Response {
    do {
      return JSONResponse.make(.ok, try await intake.dryRun(message))
    } catch let error as IntakeError {
      throw Problem.invalid(
        MessageRequestBody.apiField(
          error.field, language: language ?? defaultLanguage, defaultLanguage: defaultLanguage),
        error.message)
    } catch {
      throw storeFailed("\(error)")
    }
  }

  /// The outcome of `message` as intake gives it, for a route that answers
  /// in its own words (a hook's replay is not an idempotent repeat).
  func accept(_ message: SendRequest) async -> IntakeWire.Response {
    await intake.accept(message)
  }

  /// `stored`, the key as intake keeps it (`given` behind its prefix), if
  /// `given` is 1 to as many visible ASCII characters as fit; else a 400
  /// naming `field`, and how many characters fit, and an `example`.
  static func checkedKey(
    _ given: String, stored: String, field: String, example: String = ""
  ) throws -> String {
    guard !given.isEmpty, stored.utf8.count <= Intake.maxIdempotencyKeyLength,
      given.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
    else {
      let room = Intake.maxIdempotencyKeyLength - stored.utf8.count + given.utf8.count
      throw Problem.invalid(field, "give 1 to \(room) visible ASCII characters\(example)")
    }
    return stored
  }

  /// 202 with the message's id and links, and `warnings` when there are any.
  static func accepted(
    _ id: MessageID, warnings: [String] = [], awaitingApproval: [String] = []
  ) -> Response {
    JSONResponse.make(
      .accepted,
      Accepted(
        id: id.rawValue, status: "accepted",
        links: Links(message: "/v1/messages/\(id)", deliveries: "/v1/messages/\(id)/deliveries"),
        warnings: warnings.isEmpty ? nil : warnings,
        awaitingApproval: awaitingApproval.isEmpty ? nil : awaitingApproval),
      headers: [.location: "/v1/messages/\(id)"])
  }

  /// 503 for a store that did not take a message: logged in full, told
  /// in general (the store's error is not the client's business).
  func storeFailed(_ detail: String) -> Problem {
    logger.error("the store did not take a message", metadata: ["error": "\(detail)"])
    var problem = Problem(.serviceUnavailable, "the message could not be stored; try again")
    problem.headers["Retry-After"] = "5"
    return problem
  }

  struct Accepted: Encodable {
    var id: String
    var status: String
    var links: Links
    /// E.g. an SMS text cut to fit (see `Intake.smsWarnings`); absent when none.
    var warnings: [String]?
    /// The audiences that wait for approval before it goes to them.
    var awaitingApproval: [String]?

    enum CodingKeys: String, CodingKey {
      case id, status, links, warnings
      case awaitingApproval = "awaiting_approval"
    }
  }

  struct Links: Encodable {
    var message: String
    var deliveries: String
  }
}
