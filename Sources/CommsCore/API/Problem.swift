import Foundation
import HTTPTypes
import Hummingbird

/// An RFC 9457 problem: every refusal the API gives, as
/// `application/problem+json`, naming the field when one is to blame.
public struct Problem: Error, Sendable, Equatable {
  public var status: HTTPResponse.Status
  public var detail: String
  /// The request field at fault (`audiences`, `contents.en.subject`), if any.
  public var field: String?
  /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
  public var headers: [String: String] = [:]

  public init(_ status: HTTPResponse.Status, _ detail: String, field: String? = nil) {
    self.status = status
    self.detail = detail
    self.field = field
  }

  /// The JSON body: `type` (about:blank: the status says what kind), `title`
  /// (the status's phrase), `status`, `detail`, and `field` when set.
  public var body: [UInt8] {
    var members = [
      "type": "about:blank", "title": status.reasonPhrase, "detail": detail,
    ]
    if let field { members["field"] = field }
    var writer = JSONWriter(capacity: 128 + detail.utf8.count)
    writer.beginObject()
    for key in ["detail", "field"] where members[key] != nil { writer.member(key, members[key]!) }
    writer.member("status", status.code)
    writer.member("title", members["title"]!)
    writer.member("type", members["type"]!)
    writer.endObject()
    return writer.bytes
  }

  static func unauthorized(_ detail: String) -> Problem {
    var problem = Problem(.unauthorized, detail)
    problem.headers["WWW-Authenticate"] = "Bearer realm=\"commsd\""
    return problem
  }

  static func forbidden(_ detail: String, field: String? = nil) -> Problem {
    Problem(.forbidden, detail, field: field)
  }

  /// A 422 naming `field`; a member whose name is empty (`{"": 1}`) is
  /// named `""`, so the answer still says where.
  static func invalid(_ field: String, _ detail: String) -> Problem {
    Problem(.unprocessableContent, detail, field: field.isEmpty ? "\"\"" : field)
  }

  static func malformed(_ detail: String) -> Problem { Problem(.badRequest, detail) }

  static func notFound(_ detail: String) -> Problem { Problem(.notFound, detail) }
}
