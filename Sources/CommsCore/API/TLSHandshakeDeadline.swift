import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// The API's TLS connections: NIOSSL's server handler, then a deadline for
/// the handshake, then HTTP/1.1. Hummingbird's own `TLSChannel` has no such
/// deadline, and the HTTP idle timeout only starts to matter once requests
/// can be read: a client that opens a connection and dribbles a handshake
/// would otherwise hold a descriptor for as long as it likes.
struct DeadlineTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
  typealias Value = Base.Value

  let base: Base
  let context: NIOSSLContext
  let handshakeTimeout: TimeAmount

  func setup(channel: any NIOCore.Channel, logger: Logger) -> EventLoopFuture<Value> {
    channel.eventLoop.makeCompletedFuture {
      try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
      try channel.pipeline.syncOperations.addHandler(
        TLSHandshakeDeadline(timeout: handshakeTimeout))
    }.flatMap {
      base.setup(channel: channel, logger: logger)
    }
  }

  func handle(value: Value, logger: Logger) async {
    await base.handle(value: value, logger: logger)
  }
}

/// Closes the connection unless NIOSSL reports the handshake done within
/// `timeout`. Sits right after the TLS handler, where that event passes.
final class TLSHandshakeDeadline: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = ByteBuffer

  let timeout: TimeAmount
  private var deadline: Scheduled<Void>?
  private var done = false

  init(timeout: TimeAmount) { self.timeout = timeout }

  func handlerAdded(context: ChannelHandlerContext) {
    if context.channel.isActive { start(context) }
  }

  func channelActive(context: ChannelHandlerContext) {
    start(context)
    context.fireChannelActive()
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    deadline?.cancel()
    deadline = nil
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if case .handshakeCompleted = event as? TLSUserEvent {
      done = true
      deadline?.cancel()
      deadline = nil
    }
    context.fireUserInboundEventTriggered(event)
  }

  private func start(_ context: ChannelHandlerContext) {
    guard deadline == nil, !done else { return }
    let channel = context.channel
    deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
  }
}

extension APIServer {
  /// The server's TLS: the configured certificate chain and key, and
  /// nothing older than TLS 1.2 (1.0 and 1.1 are broken and refused).
  static func tlsConfiguration(certificate: String, key: String) throws -> TLSConfiguration {
    let chain = try NIOSSLCertificate.fromPEMFile(certificate).map {
      NIOSSLCertificateSource.certificate($0)
    }
    var tls = TLSConfiguration.makeServerConfiguration(
      certificateChain: chain,
      privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
    tls.minimumTLSVersion = .tlsv12
    return tls
  }

  /// HTTP/1.1 with the idle timeout, wrapped in TLS with the handshake
  /// deadline when a certificate is configured.
  func serverBuilder() throws -> HTTPServerBuilder {
    let http = HTTP1Channel.Configuration(idleTimeout: Self.timeAmount(settings.idleTimeout))
    guard let certificate = settings.tlsCertificate, let key = settings.tlsKey else {
      return .http1(configuration: http)
    }
    let context = try NIOSSLContext(
      configuration: Self.tlsConfiguration(certificate: certificate, key: key))
    let handshake = Self.timeAmount(settings.tlsHandshakeTimeout)
    return HTTPServerBuilder { responder in
      DeadlineTLSChannel(
        base: HTTP1Channel(responder: responder, configuration: http), context: context,
        handshakeTimeout: handshake)
    }
  }

  /// A configured duration as NIO's time amount, through the one clamped
  /// conversion every outside time takes.
  static func timeAmount(_ duration: Duration) -> TimeAmount {
    .milliseconds(Duration.clampedMilliseconds(duration.seconds * 1000))
  }
}
