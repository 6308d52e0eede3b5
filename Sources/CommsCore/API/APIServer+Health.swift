import Foundation
import HTTPTypes
import Hummingbird

/// `/healthz`, `/readyz` and `/metrics`: for load balancers and monitoring,
/// without a token (they say nothing about messages or people).
extension APIServer {
  func health() throws -> Response {
    JSONResponse.make(.ok, bytes: Array("{\"status\":\"ok\"}".utf8))
  }

  /// Ready once the store is open and the listeners are bound, and while the
  /// store answers; 503 while starting, stopping, or when it does not.
  func ready() async throws -> Response {
    guard readiness.isReady else {
      throw Problem(.serviceUnavailable, "commsd is starting or stopping")
    }
    do {
      _ = try await store.auditHead()
    } catch {
      throw Problem(.serviceUnavailable, "the store does not answer")
    }
    return JSONResponse.make(.ok, bytes: Array("{\"status\":\"ready\"}".utf8))
  }

  /// Prometheus text format (0.0.4).
  func metricsText() async throws -> Response {
    var text = """
      # HELP commsd_up 1 while the daemon runs.
      # TYPE commsd_up gauge
      commsd_up 1
      # HELP commsd_deliveries Deliveries in the store by state.
      # TYPE commsd_deliveries gauge

      """
    for (state, count) in try await store.deliveryCounts().sorted(by: { $0.key < $1.key }) {
      text += "commsd_deliveries{state=\"\(state)\"} \(count)\n"
    }
    text += """
      # HELP commsd_api_requests_total HTTP API answers by route, method and status.
      # TYPE commsd_api_requests_total counter

      """
    for (key, count) in metrics.snapshot.sorted(by: {
      ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status)
    }) {
      text +=
        "commsd_api_requests_total{route=\"\(key.route)\",method=\"\(key.method)\",status=\"\(key.status)\"} \(count)\n"
    }
    return Response(
      status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
      body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
  }
}
