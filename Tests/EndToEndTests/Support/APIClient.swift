import CommsCore
import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// A plain HTTP client for the daemon's API, as an integrator would use it.
struct APIClient: Sendable {
  let base: String

  struct Answer {
    var status: Int
    var headers: [String: String]
    var body: Data

    var json: [String: Any] {
      (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
    }
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The problem's `field`, for refusals.
    var field: String? { json["field"] as? String }
  }

  func call(
    _ method: String, _ path: String, token: String? = nil, json: String? = nil,
    body: Data? = nil, headers: [String: String] = [:]
  ) async throws -> Answer {
    var request = URLRequest(url: URL(string: base + path)!)
    request.httpMethod = method
    request.timeoutInterval = 30
    if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
    if let json {
      request.httpBody = Data(json.utf8)
      request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    if let body { request.httpBody = body }
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as! HTTPURLResponse
    var fields: [String: String] = [:]
    for (name, value) in http.allHeaderFields {
      fields[String(describing: name).lowercased()] = String(describing: value)
    }
    return Answer(status: http.statusCode, headers: fields, body: data)
  }
}

/// One token for a test configuration, made as `commsd token create` makes them.
struct TestToken {
  var name: String
  var audiences: [String]
  var maxPriority = "urgent"
  var readOnly = false
  var audit = false
  /// `rights = […]` instead of the defaults (then `audit` is not written).
  var rights: [String]? = nil
  let secret: (token: String, hash: String) = APITokens.make()

  var token: String { secret.token }

  var toml: String {
    """
    [[api.tokens]]
    name = "\(name)"
    hash = "\(secret.hash)"
    audiences = [\(audiences.map { "\"\($0)\"" }.joined(separator: ", "))]
    max_priority = "\(maxPriority)"
    read_only = \(readOnly)
    \(rights.map { "rights = [\($0.map { "\"\($0)\"" }.joined(separator: ", "))]" } ?? "audit = \(audit)")

    """
  }
}

extension Workspace {
  /// `[api]` on `port` with `tokens`, and `more` TOML after it (e.g. hook sources).
  static func apiSection(port: Int, tokens: [TestToken], more: String = "") -> String {
    "[api]\nlisten = \"127.0.0.1:\(port)\"\nmax_body_bytes = 65536\n\n"
      + tokens.map(\.toml).joined() + more
  }

  /// Starts the daemon and waits until its API answers `/readyz`.
  func startDaemonWithAPI(_ client: APIClient) async throws -> ChildProcess {
    let daemon = try startDaemon()
    try await eventually(timeout: .seconds(30), "the API to be ready") {
      (try? await client.call("GET", "/readyz"))?.status == 200
    }
    return daemon
  }
}
