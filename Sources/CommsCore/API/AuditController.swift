import Foundation
import HTTPTypes
import Hummingbird

/// `GET /v1/audit?after=SEQ&limit=N`: the audit log in sequence order, a
/// page at a time, for tokens configured with `audit = true`. Each read is
/// itself audited, like `commsd audit export`. `TokenMiddleware` lets only
/// such tokens through.
struct AuditController: APIController {
  let api: APIEnvironment

  func addRoutes(to router: Router<APIContext>) {
    api.routes("/v1/audit", on: router, requiring: .reading(.audit)).get(use: getAudit)
  }

  @Sendable func getAudit(_ request: Request, _ context: APIContext) async throws -> Response {
    let token = try context.caller()
    let limit = try request.pageLimit()
    var after: Int64 = 0
    if let text = request.uri.queryParameters.get("after") {
      guard let value = Int64(text), value >= 0 else {
        throw Problem.invalid("after", "expected a sequence number (0 or more)")
      }
      after = value
    }
    let links = try await api.store.auditLinks(
      since: .distantPast, until: nil, after: after, limit: limit)
    try await api.store.appendAudit([
      AuditEvent(
        kind: "audit.exported", at: api.clock.now(), actor: context.sender(token).description,
        detail: ["after": String(after), "count": String(links.count), "format": "api"])
    ])
    var bytes = Array("{\"events\":[".utf8)
    for (index, link) in links.enumerated() {
      if index > 0 { bytes.append(UInt8(ascii: ",")) }
      bytes.append(contentsOf: link.exportJSON.utf8)
    }
    bytes.append(contentsOf: "],\"next\":".utf8)
    if links.count == limit, let last = links.last {
      bytes.append(contentsOf: "\"/v1/audit?after=\(last.sequence)&limit=\(limit)\"}".utf8)
    } else {
      bytes.append(contentsOf: "null}".utf8)
    }
    return JSONResponse.make(.ok, bytes: bytes)
  }
}
