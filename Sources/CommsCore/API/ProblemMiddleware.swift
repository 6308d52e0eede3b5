import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Turns whatever a route throws into a problem response: our `Problem`s
/// as they are, Hummingbird's `HTTPError`s (404, 405, 413 …) with their
/// status, and anything else — a fault of ours, never of the input — as a
/// logged 500 without detail. Counts every answer for `/metrics`.
struct ProblemMiddleware: RouterMiddleware {
  typealias Context = APIContext
  let metrics: APIMetrics
  let logger: Logger

  func handle(
    _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
  ) async throws -> Response {
    let response: Response
    do {
      response = try await next(request, context)
    } catch let problem as Problem {
      response = Self.response(problem)
    } catch let error as HTTPError {
      var problem = Problem(error.status, error.body ?? Self.detail(for: error.status))
      if error.status == .contentTooLarge {
        problem.detail = "the request body is larger than the configured max_body_bytes"
      }
      response = Self.response(problem)
    } catch is NIOTooManyBytesError {
      response = Self.response(
        Problem(.contentTooLarge, "the request body is larger than the configured max_body_bytes"))
    } catch {
      logger.error(
        "API request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
      response = Self.response(Problem(.internalServerError, "the request could not be handled"))
    }
    metrics.count(
      route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
      status: response.status.code)
    return response
  }

  static func detail(for status: HTTPResponse.Status) -> String {
    switch status {
    case .notFound: "no such route"
    case .methodNotAllowed: "the route does not take this method"
    default: status.reasonPhrase
    }
  }

  static func response(_ problem: Problem) -> Response {
    var headers: HTTPFields = [.contentType: "application/problem+json"]
    for (name, value) in problem.headers {
      if let field = HTTPField.Name(name) { headers[field] = value }
    }
    return Response(
      status: problem.status, headers: headers,
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: problem.body)))
  }
}

/// JSON responses.
enum JSONResponse {
  static func make(
    _ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]
  )
    -> Response
  {
    let data = (try? JSONCoding.encoder().encode(value)) ?? Data("{}".utf8)
    return make(status, bytes: Array(data), headers: headers)
  }

  static func make(_ status: HTTPResponse.Status, bytes: [UInt8], headers: HTTPFields = [:])
    -> Response
  {
    var headers = headers
    headers[.contentType] = "application/json"
    return Response(
      status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
  }
}
