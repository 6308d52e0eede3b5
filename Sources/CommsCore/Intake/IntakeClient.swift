import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The CLI's side of the intake socket (see `IntakeSocket`).
public enum IntakeClient {
  /// What became of a submission.
  public enum Outcome: Sendable, Equatable {
    /// No daemon listens at the path: nothing was sent, the caller may write the store itself.
    case daemonNotRunning
    /// The daemon answered.
    case answered(IntakeWire.Response)
  }

  /// Why the outcome is not known: the request may or may not be stored.
  public struct LostAnswer: Error, CustomStringConvertible {
    public var detail: String
    public var description: String {
      "the daemon did not answer (\(detail)); the message may or may not be queued: "
        + "check `commsd status`, or send again with the same --idempotency-key"
    }
  }

  /// Hands `request` to the daemon at `socketPath` and waits for its answer
  /// (at most `timeout` seconds, which also covers a long wait for the store).
  public static func submit(
    _ request: SendRequest, socketPath: String, timeout: Int = 120
  ) throws(LostAnswer) -> Outcome {
    try exchange(IntakeWire.Request(request), socketPath: socketPath, timeout: timeout)
  }

  /// Hands `reply` (`commsd mailgate`) to the daemon at `socketPath`.
  public static func submit(
    reply: IncomingReply, socketPath: String, timeout: Int = 60
  ) throws(LostAnswer) -> Outcome {
    try exchange(IntakeWire.ReplyRequest(reply: reply), socketPath: socketPath, timeout: timeout)
  }

  /// One request frame out, one answer frame back.
  static func exchange(
    _ request: some Encodable, socketPath: String, timeout: Int
  ) throws(LostAnswer) -> Outcome {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return .daemonNotRunning }
    defer { close(fd) }
    let connected = UnixSocketAddress.with(socketPath) { connect(fd, $0, $1) }
    guard connected == 0 else { return .daemonNotRunning }
    SocketFrames.setTimeout(timeout, on: fd)
    do {
      let body = try JSONCoding.encoder().encode(request)
      try SocketFrames.write(Array(body), to: fd)
    } catch {
      // Nothing was read by the daemon unless the whole frame arrived; a
      // half-written frame is dropped, so this is still "unknown" only in theory.
      throw LostAnswer(detail: "\(error)")
    }
    let frame: [UInt8]
    do {
      frame = try SocketFrames.read(from: fd, limit: 1024 * 1024)
    } catch {
      throw LostAnswer(detail: error == .closed ? "connection closed" : "\(error)")
    }
    guard
      let response = try? JSONCoding.decoder().decode(IntakeWire.Response.self, from: Data(frame))
    else { throw LostAnswer(detail: "unreadable answer") }
    return .answered(response)
  }
}
