import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle

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
/// at its turn to stop it closes its listener at once (no new connection is
/// taken once the daemon has begun to stop), answers the requests already
/// under way and closes every connection, for at most `stopBound`. A port
/// that cannot be bound fails the service.
struct APIServer: Service {
  let settings: APISettings
  let logger: Logger
  let access: AccessControl
  let readiness: Readiness
  /// The API's answers for `/metrics`, counted by `ProblemMiddleware`.
  let metrics: APIMetrics
  let controllers: [any APIController]

  /// - Parameters:
  ///   - dispatcher: for `/metrics`, its circuit breakers.
  ///   - attempts: for `/metrics`, the attempt durations.
  init(
    configuration: Configuration, settings: APISettings, store: any Store,
    intake: DaemonIntake, planBell: Doorbell, clock: any WallClock, readiness: Readiness,
    dispatcher: Dispatcher?, attempts: DurationHistogram?, logger: Logger
  ) throws {
    self.settings = settings
    self.logger = logger
    self.readiness = readiness
    let metrics = APIMetrics()
    self.metrics = metrics
    let access = AccessControl(
      configured: APIAccess(try APIAccess.State(settings)),
      refusals: RefusalLedger(store: store, clock: clock, logger: logger), store: store,
      clock: clock, logger: logger)
    self.access = access
    let language = configuration.defaultLanguage
    let api = APIEnvironment(
      access: access,
      intake: APIIntake(intake: intake, defaultLanguage: language, logger: logger), store: store,
      clock: clock, planBell: planBell, defaultLanguage: language,
      maxBodyBytes: settings.maxBodyBytes, templates: configuration.templates)
    var controllers: [any APIController] = [
      HealthController(
        api: api, readiness: readiness, metricsPublic: settings.metricsPublic, metrics: metrics,
        dispatcher: dispatcher, attempts: attempts),
      MessagesController(api: api), ApprovalsController(api: api), DraftsController(api: api),
      CAPController(api: api, configuration: configuration),
      AuditController(api: api), HooksController(api: api),
      ReceiptsController(api: api, endpoints: configuration.endpoints),
      InboundController(api: api, endpoints: configuration.endpoints),
      InquiriesController(api: api, audiences: Set(configuration.audiences.keys)),
    ]
    // The confirmation page, where links are put in messages.
    if configuration.confirm.publicURL != nil {
      controllers.append(
        ConfirmController(
          api: api, links: try ConfirmLinks.load(configuration.confirm),
          linkValid: configuration.confirm.linkValid))
      controllers.append(
        ApprovalLinkController(
          api: api, links: try ConfirmLinks.load(configuration.confirm),
          linkValid: configuration.confirm.linkValid,
          displayNames: configuration.audiences.mapValues(\.displayName)))
    }
    if let settings = configuration.console {
      let console = ConsoleEnvironment(
        api: api, settings: settings, configuration: configuration, intake: intake,
        dispatcher: dispatcher)
      controllers += [
        ConsoleSignInController(console: console), ConsoleBoardController(console: console),
        ConsoleMessageController(console: console), ConsoleComposeController(console: console),
        ConsoleWorkController(console: console),
      ]
      if let oidc = settings.oidc {
        controllers.append(
          ConsoleOIDCController(console: console, provider: OIDCProvider(settings: oidc)))
      }
    }
    self.controllers = controllers
  }

  /// Takes the tokens and hook sources of a reloaded configuration. The
  /// address and TLS stay until a restart.
  func adopt(_ settings: APISettings?) {
    guard let settings, let state = try? APIAccess.State(settings) else { return }
    access.configured.replace(with: state)
  }

  /// How long a stop waits for the requests under way before it cuts them off.
  static let stopBound: Duration = .seconds(5)

  func run() async throws {
    let settings = settings
    let readiness = readiness
    let logger = logger
    do {
      // The stop is Hummingbird's own graceful shutdown (its service group
      // hears ours): it closes the listener first and then serves out every
      // connection it accepted. Cancelling the server's task instead drops
      // connections accepted but not yet served, and NIO traps on those
      // ("Deinited NIOAsyncWriter without calling finish()"; the test
      // aStopWhileClientsKeepConnectingEndsCleanly). Once the listener is
      // closed a cancel is safe, so a request still running after
      // `stopBound` is cut off rather than holding up the rest of the stop.
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
          try await self.serve {
            logger.notice(
              "HTTP API listening",
              metadata: [
                "address": "\(settings.host):\(settings.port)", "tls": "\(settings.usesTLS)",
              ])
            readiness.becomeReady()
          }
        }
        group.addTask {
          try await gracefulShutdown()
          try await Task.sleep(for: Self.stopBound)
          logger.notice(
            "HTTP API: requests still under way after the stop bound are cut off",
            metadata: ["bound": "\(Self.stopBound)"])
        }
        try await group.next()
        group.cancelAll()
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
    let summaries = Task { await access.refusals.run() }
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
    ("POST", "/v1/messages/{id}/approve"), ("POST", "/v1/messages/{id}/reject"),
    ("GET", "/v1/drafts"), ("POST", "/v1/drafts"), ("GET", "/v1/drafts/{id}"),
    ("PUT", "/v1/drafts/{id}"), ("DELETE", "/v1/drafts/{id}"), ("POST", "/v1/drafts/{id}/send"),
    ("POST", "/v1/cap"), ("GET", "/v1/audit"), ("POST", "/v1/hooks/{source}"),
    ("POST", "/v1/receipts/{endpoint}"), ("POST", "/v1/inbound/{endpoint}"),
    ("GET", "/v1/inquiries"), ("GET", "/v1/inquiries/{id}"),
    ("POST", "/v1/inquiries/{id}/answer"), ("POST", "/v1/inquiries/{id}/assign"),
    ("POST", "/v1/inquiries/{id}/close"),
  ]

  func addRoutes(to router: Router<APIContext>) {
    for controller in controllers { controller.addRoutes(to: router) }
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
