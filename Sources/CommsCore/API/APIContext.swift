import Hummingbird
import NIOCore

/// The request context of the HTTP API: Hummingbird's, plus the client's
/// address (for the audit log and for slowing down repeated failures).
struct APIContext: RequestContext {
  var coreContext: CoreRequestContextStorage
  let remoteAddress: String

  init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
  }
}
