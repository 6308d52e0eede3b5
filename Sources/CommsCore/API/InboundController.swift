import Foundation
import HTTPTypes
import Hummingbird

/// `POST /v1/inbound/{endpoint}`: an SMS a reader sent back, as the SMS
/// gateway's inbound callback carries it (GatewayAPI's MO SMS webhook,
/// Twilio's incoming message webhook). A reply that is a confirmation word
/// (`[confirm] sms_words`) confirms the newest message over that endpoint
/// to that number that asks for it; any other reply becomes an inquiry,
/// routed to the handlers of the sender's audience (`Store.receiveReply`).
///
/// Authenticated as the endpoint's receipts are (GatewayAPI's JWT under
/// `receipt_secret`, Twilio's signature under the auth token); a failed
/// check, or an endpoint without, is 401 and audited like any refused
/// request. For Twilio the signed URL is the one configured as the number's
/// incoming webhook: the scheme, host and port of `status_callback` with
/// this route's path (`/v1/inbound/NAME`).
struct InboundController: APIController {
  let api: APIEnvironment
  let endpoints: [String: Endpoint]

  func addRoutes(to router: Router<APIContext>) {
    router.post("/v1/inbound/:endpoint", use: postInbound)
  }

  @Sendable func postInbound(_ request: Request, _ context: APIContext) async throws -> Response {
    let name = context.parameters.get("endpoint") ?? ""
    try await api.access.refuseIfBlocked(request, context)
    let bytes = try await request.bodyBytes(upTo: min(api.maxBodyBytes, 64 * 1024))
    func header(_ field: String) -> String? { request.headers[HTTPField.Name(field)!] }
    let sms: InboundSMS
    let twilio: Bool
    do throws(ReceiptRefusal) {
      switch (endpoints[name]?.receipts?.verification, endpoints[name]?.format) {
      case (.gatewayAPIJWT(let secret), _):
        sms = try InboundSMS.gatewayAPI(
          body: bytes, signature: header("X-Gwapi-Signature"), secret: secret)
        twilio = false
      case (.twilioSignature(let token), .twilio(let format)):
        let url = Self.origin(of: format.statusCallback ?? "") + request.uri.description
        sms = try InboundSMS.twilio(
          url: url, body: bytes, signature: header("X-Twilio-Signature"), authToken: token)
        twilio = true
      default:
        throw ReceiptRefusal(.unauthenticated, "no valid signature")
      }
    } catch let refusal {
      guard refusal.kind == .unauthenticated else {
        throw Problem(.badRequest, refusal.description)
      }
      var problem = Problem(.unauthorized, refusal.description)
      problem.headers["WWW-Authenticate"] = "Signature realm=\"commsd inbound \(name)\""
      throw await api.access.refuse(problem, request, context, actor: nil)
    }
    let outcome = try await api.intake.intake.receive(
      IncomingReply(
        channel: .sms, source: name, from: sms.from, text: sms.text, reference: sms.providerRef))
    var answer = ["outcome": ""]
    switch outcome {
    case .confirmation(.confirmed(let late)):
      answer["outcome"] = late ? "confirmed_late" : "confirmed"
    case .confirmation(.repeated): answer["outcome"] = "repeated"
    case .confirmation: answer["outcome"] = "not_asked"
    case .inquiry(let id, _, let duplicate):
      answer["outcome"] = duplicate ? "duplicate" : "inquiry"
      answer["inquiry"] = id.rawValue
    case .automatic: answer["outcome"] = "automatic"
    }
    if twilio {
      // Twilio reads the answer as TwiML: an empty one sends no reply SMS.
      var response = Response(
        status: .ok,
        body: .init(
          byteBuffer: .init(string: #"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#)
        ))
      response.headers[.contentType] = "text/xml; charset=utf-8"
      return response
    }
    return JSONResponse.make(.ok, answer)
  }

  /// `https://host:port` of `url`, or "" when it has none.
  static func origin(of url: String) -> String {
    guard let components = URLComponents(string: url), let scheme = components.scheme,
      let host = components.host
    else { return "" }
    return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
  }
}
