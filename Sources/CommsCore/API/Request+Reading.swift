import Hummingbird

/// What every route reads from a request the same way.
extension Request {
  /// The body, at most `limit` bytes (`max_body_bytes`; more is a 413).
  func bodyBytes(upTo limit: Int) async throws -> [UInt8] {
    let buffer = try await body.collect(upTo: limit)
    return Array(buffer.readableBytesView)
  }

  /// `limit` from the query: 1 to 1000, 100 when not given.
  func pageLimit() throws -> Int {
    guard let text = uri.queryParameters.get("limit") else { return 100 }
    guard let limit = Int(text), (1...1000).contains(limit) else {
      throw Problem.invalid("limit", "expected a whole number from 1 to 1000")
    }
    return limit
  }
}
