import Hummingbird

/// What the API's controllers work with: who may ask, where messages go,
/// the store and the clock, and the limits every route keeps.
struct APIEnvironment: Sendable {
  let access: AccessControl
  let intake: APIIntake
  let store: any Store
  let clock: any WallClock
  /// Rung when a route changed what the planner must look at (a
  /// cancellation's retraction), so it is planned at once.
  let planBell: Doorbell
  /// The language of a message whose body names none.
  let defaultLanguage: String
  /// The largest request body read (`max_body_bytes`).
  let maxBodyBytes: Int
  /// The message templates a body may name (`template`).
  let templates: TemplateLibrary
  /// Receipts taken, for `/metrics`.
  let receipts = ReceiptMetrics()

  /// The routes under `path` that take a token with `right` (`TokenMiddleware`).
  func routes(
    _ path: RouterPath, on router: Router<APIContext>, requiring right: TokenMiddleware.Right
  ) -> RouterGroup<APIContext> {
    router.group(path).add(middleware: TokenMiddleware(access: access, right: right))
  }
}
