import Hummingbird

/// A group of the API's routes and what they work with (`APIEnvironment`).
/// Each one says which of its routes take a token, and with what right
/// (`TokenMiddleware`); a route itself checks only what depends on the
/// request's content.
protocol APIController: Sendable {
  func addRoutes(to router: Router<APIContext>)
}
