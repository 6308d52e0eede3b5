import Foundation
import HTTPTypes
import Hummingbird

/// `POST /v1/receipts/{endpoint}`: a gateway's handset receipt for a
/// message it took (`Store.applyReceipt`).
///
/// The callback's own authentication is checked as its provider signs it
/// (GatewayAPI's JWT, Twilio's signature), or as the operator configured a
/// `template` gateway (`?token=` in the callback URL, or HTTP Basic;
/// `ReceiptVerification`); a failed one is 401 and audited, like any
/// refused request. An endpoint without
/// receipts answers exactly like a bad signature, so endpoint names cannot
/// be found by trying. A receipt is answered 200 whatever it did (applied,
/// repeated, stale, still on its way, or for no delivery commsd knows —
/// `receipt.unmatched`): the provider has nothing to correct. Only a
/// receipt that outran the record of its own attempt is 503 with
/// `Retry-After`, so the provider sends it again (GatewayAPI retries after
/// 60 s).
struct ReceiptsController: APIController {
  let api: APIEnvironment
  /// The configured endpoints, by name (a reload's changes take a restart).
  let endpoints: [String: Endpoint]

  func addRoutes(to router: Router<APIContext>) {
    router.post("/v1/receipts/:endpoint", use: postReceipt)
  }

  @Sendable func postReceipt(_ request: Request, _ context: APIContext) async throws -> Response {
    let name = context.parameters.get("endpoint") ?? ""
    try await api.access.refuseIfBlocked(request, context)
    let bytes = try await request.bodyBytes(upTo: min(api.maxBodyBytes, 64 * 1024))
    func header(_ field: String) -> String? { request.headers[HTTPField.Name(field)!] }
    guard let endpoint = endpoints[name], let receipts = endpoint.receipts else {
      throw await refuse(
        ReceiptRefusal(.unauthenticated, "no valid signature"), name, request, context)
    }
    let receipt: Receipt
    do {
      switch (receipts.verification, endpoint.format) {
      case (.gatewayAPIJWT(let secret), _):
        receipt = try GatewayAPIReceipt.read(signature: header("X-Gwapi-Signature"), secret: secret)
      case (.twilioSignature(let token), .twilio(let twilio)):
        // The URL Twilio called is the one commsd gave it: status_callback
        // with the delivery's id added (TwilioFormat).
        let base = twilio.statusCallback ?? ""
        let delivery = request.uri.queryParameters.get("delivery") ?? ""
        let url = base + (base.contains("?") ? "&" : "?") + "delivery=" + delivery
        receipt = try TwilioReceipt.read(
          url: url, body: bytes, signature: header("X-Twilio-Signature"), authToken: token)
      case (.twilioSignature, _):
        throw ReceiptRefusal(.unauthenticated, "no valid signature")
      case (.secretInURL(let secret), _):
        let given = request.uri.queryParameters.get("token") ?? ""
        guard TokenCheck.constantTimeEqual(Array(given.utf8), secret) else {
          throw ReceiptRefusal(.unauthenticated, "no valid token in the callback URL")
        }
        receipt = try templateReceipt(bytes, receipts)
      case (.basic(let user, let password), _):
        guard
          let given = BasicCredentials(header("Authorization")),
          TokenCheck.constantTimeEqual(Array(given.user.utf8), Array(user.utf8))
            && TokenCheck.constantTimeEqual(Array(given.password.utf8), Array(password.utf8))
        else {
          throw ReceiptRefusal(.unauthenticated, "no valid HTTP Basic credentials")
        }
        receipt = try templateReceipt(bytes, receipts)
      }
    } catch let refusal as ReceiptRefusal {
      throw await refuse(refusal, name, request, context)
    }
    let outcome = try await api.store.applyReceipt(receipt, endpoint: name, at: api.clock.now())
    api.receipts.count(endpoint: name, outcome: outcome)
    if outcome == .notYet {
      var problem = Problem(
        .serviceUnavailable, "the attempt this receipt is for is not recorded yet; send it again")
      problem.headers["Retry-After"] = "60"
      throw problem
    }
    return JSONResponse.make(.ok, ["outcome": outcome.name])
  }

  private func templateReceipt(_ body: [UInt8], _ receipts: ReceiptSettings)
    throws(ReceiptRefusal) -> Receipt
  {
    guard let mapping = receipts.mapping else {
      throw ReceiptRefusal(.unauthenticated, "no valid signature")
    }
    return try TemplateReceipt.read(body, mapping: mapping)
  }

  private func refuse(
    _ refusal: ReceiptRefusal, _ endpoint: String, _ request: Request, _ context: APIContext
  ) async -> Problem {
    guard refusal.kind == .unauthenticated else {
      return Problem(.badRequest, refusal.description)
    }
    var problem = Problem(.unauthorized, refusal.description)
    // A client that sends Basic only when challenged is challenged for it.
    let scheme: String
    if case .basic = endpoints[endpoint]?.receipts?.verification {
      scheme = "Basic"
    } else {
      scheme = "Signature"
    }
    problem.headers["WWW-Authenticate"] = "\(scheme) realm=\"commsd receipts \(endpoint)\""
    return await api.access.refuse(problem, request, context, actor: nil)
  }
}

extension ReceiptOutcome {
  /// How the answer and the metrics name it.
  var name: String {
    switch self {
    case .applied(let state, _): state.rawValue
    case .repeated: "repeated"
    case .stale: "stale"
    case .pending: "pending"
    case .notYet: "not_yet"
    case .unmatched: "unmatched"
    }
  }
}
