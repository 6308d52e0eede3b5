import Foundation
import HTTPTypes
import Hummingbird

/// `/healthz`, `/readyz` and `/metrics`: for load balancers and monitoring.
/// The first two need no token (they say nothing but "up"); `/metrics`
/// needs any valid token unless `metrics_public = true`, since it names
/// endpoints and audiences and its counts come from the store.
struct HealthController: APIController {
  let api: APIEnvironment
  let readiness: Readiness
  let metricsPublic: Bool
  /// The API's own answers, counted by `ProblemMiddleware`.
  let metrics: APIMetrics
  /// The store's counts for `/metrics`, read at most once per interval.
  let metricCounts = OncePerInterval<StoreMetricCounts>(interval: .seconds(10))
  /// For `/metrics`: circuit breakers and attempt durations.
  let dispatcher: Dispatcher?
  let attempts: DurationHistogram?

  func addRoutes(to router: Router<APIContext>) {
    router.get("/healthz", use: health)
    router.get("/readyz", use: ready)
    let scraping = router.group()
    if !metricsPublic {
      scraping.add(middleware: TokenMiddleware(access: api.access, right: .read))
    }
    scraping.get("/metrics", use: metricsText)
  }

  @Sendable func health(_ request: Request, _ context: APIContext) throws -> Response {
    JSONResponse.make(.ok, bytes: Array("{\"status\":\"ok\"}".utf8))
  }

  /// Ready once the store is open and the listeners are bound, and while the
  /// store answers; 503 while starting, stopping, or when it does not.
  @Sendable func ready(_ request: Request, _ context: APIContext) async throws -> Response {
    guard readiness.isReady else {
      throw Problem(.serviceUnavailable, "commsd is starting or stopping")
    }
    do {
      _ = try await api.store.auditHead()
    } catch {
      throw Problem(.serviceUnavailable, "the store does not answer")
    }
    return JSONResponse.make(.ok, bytes: Array("{\"status\":\"ready\"}".utf8))
  }

  /// Prometheus text format (0.0.4): the store's deliveries by state,
  /// channel, endpoint and audience; the queue per priority lane; held by
  /// reason; dead letters; attempt durations; circuit breakers; the API's
  /// own answers. The store's counts are at most 10 seconds old: a scrape
  /// flood costs one store query per interval, not one per request.
  @Sendable func metricsText(_ request: Request, _ context: APIContext) async throws -> Response {
    let store = api.store
    // A store that does not answer (a database failover) does not fail the
    // scrape, which would read as a dead daemon: `commsd_store_up` says so,
    // and the store's series are left out until it answers again.
    let counts = try? await metricCounts.value { try await store.metricCounts() }
    var text = """
      # HELP commsd_up 1 while the daemon runs.
      # TYPE commsd_up gauge
      commsd_up 1
      # HELP commsd_store_up 1 while the store answers, 0 while it does not (a database failover); at most 10 s old.
      # TYPE commsd_store_up gauge
      commsd_store_up \(counts == nil ? 0 : 1)

      """
    if let counts { text += Self.storeSeries(counts) }
    text += """
      # HELP commsd_circuit_open 1 while the endpoint's or relay's circuit breaker is open.
      # TYPE commsd_circuit_open gauge

      """
    for (target, open) in (dispatcher?.breakers ?? [:]).sorted(by: { $0.key < $1.key }) {
      text += "commsd_circuit_open{target=\"\(Self.label(target))\"} \(open ? 1 : 0)\n"
    }
    text += attempts?.prometheusText ?? ""
    text += api.receipts.prometheusText
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

  /// The series read from the store: deliveries by state, dead letters,
  /// the queue per lane, held by reason, messages not yet planned.
  static func storeSeries(_ counts: StoreMetricCounts) -> String {
    var text = """
      # HELP commsd_deliveries Deliveries in the store by state, channel, endpoint and audience.
      # TYPE commsd_deliveries gauge

      """
    var dead = 0
    for row in counts.deliveries.sorted(by: {
      ($0.state, $0.channel, $0.endpoint, $0.audience) < (
        $1.state, $1.channel, $1.endpoint, $1.audience
      )
    }) {
      if row.state == "dead" { dead += row.count }
      text +=
        "commsd_deliveries{state=\"\(row.state)\",channel=\"\(row.channel)\",endpoint=\"\(label(row.endpoint))\",audience=\"\(label(row.audience))\"} \(row.count)\n"
    }
    text += """
      # HELP commsd_dead_letters Deliveries that failed for good (commsd dead list).
      # TYPE commsd_dead_letters gauge
      commsd_dead_letters \(dead)
      # HELP commsd_queue_depth Deliveries waiting to be sent, by priority lane.
      # TYPE commsd_queue_depth gauge

      """
    for priority in Priority.allCases {
      text +=
        "commsd_queue_depth{lane=\"\(priority.rawValue)\"} \(counts.queueByLane[priority.lane] ?? 0)\n"
    }
    text += """
      # HELP commsd_held Held deliveries by reason (quiet hours, cap, digest, minimum gap, predecessor).
      # TYPE commsd_held gauge

      """
    for (reason, count) in counts.heldByReason.sorted(by: { $0.key < $1.key }) {
      text += "commsd_held{reason=\"\(label(reason))\"} \(count)\n"
    }
    text += """
      # HELP commsd_messages_unplanned Messages accepted and not yet planned into deliveries, by priority (not counting scheduled ones, nor those waiting for an approval).
      # TYPE commsd_messages_unplanned gauge

      """
    for priority in Priority.allCases {
      text +=
        "commsd_messages_unplanned{priority=\"\(priority.rawValue)\"} \(counts.unplannedByPriority[priority] ?? 0)\n"
    }
    return text
  }

  /// A label value with `\`, `"` and line breaks escaped.
  static func label(_ text: String) -> String {
    text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      .replacingOccurrences(of: "\n", with: "\\n")
  }
}
