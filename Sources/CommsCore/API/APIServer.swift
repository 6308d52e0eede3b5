import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The HTTP API for integrators (`[api]`): messages in and out, CAP,
/// signed inbound webhooks, the audit log, health and metrics. It runs in
/// the daemon, beside the intake socket, and takes messages the same way
/// (`DaemonIntake`): durable before 202.
///
/// Every refusal is an RFC 9457 problem naming the field; every 401 and 403
/// is audited (`request.refused`); no client input gives a 5xx.
///
/// As a service it binds its port and makes the daemon ready (it is the
/// last listener to bind; the local sockets bind when they are made), and
/// at its turn to stop it closes at once: no "accepted" over HTTP once the
/// daemon has begun to stop. A port that cannot be bound fails the service.
struct APIServer: Service {
  let configuration: Configuration
  let settings: APISettings
  let store: any Store
  let intake: DaemonIntake
  let planBell: Doorbell
  let clock: any WallClock
  let logger: Logger
  /// Tokens and hook sources: replaced on a reload signal.
  let access: APIAccess
  let throttle = FailureThrottle()
  /// Failed authentications: written singly until an address floods, then counted.
  let refusals: RefusalLedger
  let metrics = APIMetrics()
  /// The store's counts for `/metrics`, read at most once per interval.
  let metricCounts = OncePerInterval<StoreMetricCounts>(interval: .seconds(10))
  let readiness: Readiness
  /// For `/metrics`: circuit breakers and attempt durations.
  var dispatcher: Dispatcher?
  var attempts: AttemptHistogram?

  var tokens: TokenCheck { access.current.tokens }
  var hooks: [String: APIAccess.Hook] { access.current.hooks }

  init(
    configuration: Configuration, settings: APISettings, store: any Store,
    intake: DaemonIntake, planBell: Doorbell, clock: any WallClock, readiness: Readiness,
    logger: Logger
  ) throws {
    self.configuration = configuration
    self.settings = settings
    self.store = store
    self.intake = intake
    self.planBell = planBell
    self.clock = clock
    self.readiness = readiness
    self.logger = logger
    refusals = RefusalLedger(store: store, clock: clock, logger: logger)
    access = APIAccess(try APIAccess.State(settings))
  }

  /// Takes the tokens and hook sources of a reloaded configuration. The
  /// address and TLS stay until a restart.
  func adopt(_ settings: APISettings?) {
    guard let settings, let state = try? APIAccess.State(settings) else { return }
    access.replace(with: state)
  }

  func run() async throws {
    let settings = settings
    let readiness = readiness
    let logger = logger
    do {
      try await cancelWhenGracefulShutdown {
        try await self.serve {
          logger.notice(
            "HTTP API listening",
            metadata: [
              "address": "\(settings.host):\(settings.port)", "tls": "\(settings.usesTLS)",
            ])
          readiness.becomeReady()
        }
      }
    } catch {
      // Closed on purpose: what the server says about it is no failure.
      if Task.isShuttingDownGracefully { return }
      throw error
    }
  }

  /// Serves until cancelled; `bound` is called once it listens.
  private func serve(bound: @escaping @Sendable () -> Void) async throws {
    let router = Router(context: APIContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: ProblemMiddleware(metrics: metrics, logger: logger))
    addRoutes(to: router)
    var quiet = logger
    quiet.logLevel = .warning
    // Beyond `max_connections` the listener stops accepting: further clients
    // wait in the backlog, and cost no descriptor here until one closes.
    let app = Application(
      router: router, server: try serverBuilder(),
      configuration: .init(
        address: .hostname(settings.host, port: settings.port), serverName: nil,
        availableConnectionsDelegate: .maximum(settings.maxConnections, logger: quiet)),
      onServerRunning: { _ in bound() }, logger: quiet)
    let summaries = Task { await refusals.run() }
    var failure: (any Error)?
    do {
      try await app.runService(gracefulShutdownSignals: [])
    } catch {
      failure = error
    }
    summaries.cancel()
    await summaries.value  // the last summaries are written before the store closes
    if let failure { throw failure }
  }

  /// Every route, as the OpenAPI spec (docs/openapi.json) must list it; a
  /// test holds the two together.
  public static let routes: [(method: String, path: String)] = [
    ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("POST", "/v1/messages"),
    ("GET", "/v1/messages/{id}"), ("GET", "/v1/messages/{id}/deliveries"),
    ("POST", "/v1/messages/{id}/cancel"), ("POST", "/v1/messages/{id}/supersede"),
    ("POST", "/v1/cap"), ("GET", "/v1/audit"), ("POST", "/v1/hooks/{source}"),
  ]

  func addRoutes(to router: Router<APIContext>) {
    router.get("/healthz") { _, _ in try self.health() }
    router.get("/readyz") { _, _ in try await self.ready() }
    router.get("/metrics") { request, context in
      try await self.metricsText(request, context)
    }
    router.post("/v1/messages") { request, context in
      try await self.postMessage(request, context)
    }
    router.get("/v1/messages/:id") { request, context in
      try await self.getMessage(request, context)
    }
    router.get("/v1/messages/:id/deliveries") { request, context in
      try await self.getDeliveries(request, context)
    }
    router.post("/v1/messages/:id/cancel") { request, context in
      try await self.cancel(request, context)
    }
    router.post("/v1/messages/:id/supersede") { request, context in
      try await self.supersede(request, context)
    }
    router.post("/v1/cap") { request, context in try await self.postCAP(request, context) }
    router.get("/v1/audit") { request, context in try await self.getAudit(request, context) }
    router.post("/v1/hooks/:source") { request, context in
      try await self.postHook(request, context)
    }
    // Another method on a known path is 405 with Allow, not "no such route".
    let methods = Dictionary(grouping: Self.routes, by: \.path).mapValues { $0.map(\.method) }
    for (path, allowed) in methods {
      let routerPath = RouterPath(
        path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: ""))
      let allow = (allowed + (allowed.contains("GET") ? ["HEAD"] : [])).joined(separator: ", ")
      for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete]
      where !allowed.contains(method.rawValue) {
        router.on(routerPath, method: method) { _, _ -> Response in
          var problem = Problem(.methodNotAllowed, "\(path) takes \(allow)")
          problem.headers["Allow"] = allow
          throw problem
        }
      }
    }
  }
}

/// The API's tokens and hook sources as configured now.
final class APIAccess: Sendable {
  typealias Hook = (hook: InboundHook, subject: HookTemplate, body: HookTemplate)

  struct State: Sendable {
    var tokens: TokenCheck
    var hooks: [String: Hook]

    init(_ settings: APISettings) throws {
      tokens = TokenCheck(tokens: settings.tokens)
      hooks = try settings.hooks.mapValues { hook in
        (hook, try HookTemplate(hook.subject), try HookTemplate(hook.body))
      }
    }
  }

  private let state: Mutex<State>

  init(_ state: State) { self.state = Mutex(state) }

  var current: State { state.withLock { $0 } }

  func replace(with state: State) { self.state.withLock { $0 = state } }
}
