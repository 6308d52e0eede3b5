import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
  import Glibc
#endif

/// A Unix stream socket in the data directory through which `commsd send`
/// hands its request to the running daemon.
///
/// Why not write the store from the CLI: under load the daemon holds
/// SQLite's write lock nearly all the time, and another process can only
/// poll for it (measured: a flash message's intake waited p99 156 ms, up to
/// seconds before the busy handler was tuned). Inside the daemon the intake
/// joins the store's own writer queue, a few transactions deep at most, and
/// the planner is woken in-process. The answer still comes only after the
/// commit. When no daemon runs, the CLI writes the store itself.
///
/// The socket file is mode 0660: whoever may write the store may send.
///
/// No client can stop it: at most `maxClients` requests are served at once
/// (more wait in the listen backlog), each must arrive whole within
/// `requestDeadline`, the read buffer grows only with bytes that arrived, and
/// the accept loop outlives a shortage of descriptors or memory (it waits a
/// moment and tries again, logging the error once, not per attempt).
public final class IntakeSocket: Service {
  public typealias Handler =
    @Sendable (IntakeWire.Request, PeerCredentials) async -> IntakeWire.Response
  /// Takes a reply `commsd mailgate` read from an email.
  public typealias ReplyHandler =
    @Sendable (IncomingReply, PeerCredentials) async -> IntakeWire.Response

  /// Requests served at once; a person or a script sends a few at a time.
  public static let defaultMaxClients = 64
  /// How long a client has to deliver its whole request.
  public static let defaultRequestDeadline: Duration = .seconds(5)

  let bound: BoundSocket

  public init(
    path: String, maxClients: Int = defaultMaxClients,
    requestDeadline: Duration = defaultRequestDeadline, logger: Logger,
    replies: ReplyHandler? = nil, handler: @escaping Handler
  ) throws {
    let bound = try BoundSocket(path: path, type: Int32(SOCK_STREAM.rawValue)) { fd in
      chmod(path, 0o660) == 0 && listen(fd, 64) == 0 ? 0 : -1
    }
    self.bound = bound
    let fd = bound.descriptor
    let slots = DispatchSemaphore(value: max(1, maxClients))
    let errors = RepeatedErrorLog(logger: logger)
    let thread = Thread {
      var backoff = Duration.milliseconds(10)
      while true {
        // A free slot first: while all are busy, new clients wait in the backlog.
        slots.wait()
        let client = accept(fd, nil, nil)
        if client < 0 {
          let code = errno
          slots.signal()
          if bound.isClosed { return }
          if code == EINTR || code == ECONNABORTED { continue }
          // EMFILE, ENFILE, ENOMEM, ENOBUFS and their kind pass: try again
          // after a pause that grows to a second while the shortage lasts.
          errors.error(
            "the intake socket cannot accept a connection; retrying",
            LocalSocketError.cannotAccept(path, code))
          Thread.sleep(forTimeInterval: Double(backoff / .milliseconds(1)) / 1000)
          backoff = min(backoff * 2, .seconds(1))
          continue
        }
        backoff = .milliseconds(10)
        // One short-lived thread per request, at most `maxClients` of them:
        // requests are few (people typing commands, scripts), and a slow
        // client holds only its own, and only until its deadline.
        let worker = Thread {
          defer { slots.signal() }
          Self.serve(
            client, deadline: .now + requestDeadline, replies: replies, handler: handler)
        }
        worker.name = "commsd-intake"
        worker.start()
      }
    }
    thread.name = "commsd-intake-accept"
    thread.start()
  }

  /// Serves until its turn to stop (see `BoundSocket.closeAtStop`).
  public func run() async { await bound.closeAtStop() }

  /// Stops accepting and removes the socket file.
  public func close() { bound.close() }

  private static func serve(
    _ fd: Int32, deadline: ContinuousClock.Instant, replies: ReplyHandler?,
    handler: @escaping Handler
  ) {
    defer { Glibc.close(fd) }
    SocketFrames.setTimeout(10, on: fd)  // for writing the answer
    guard let peer = credentials(of: fd) else { return }
    let response: IntakeWire.Response
    do {
      let frame = try SocketFrames.read(
        from: fd, limit: IntakeWire.maxRequestBytes, deadline: deadline)
      // A reply from `commsd mailgate` has a "reply" member, which no send request has.
      if let replies,
        let reply = try? JSONCoding.decoder().decode(
          IntakeWire.ReplyRequest.self, from: Data(frame))
      {
        response = Self.wait { await replies(reply.reply, peer) }
      } else {
        let request = try JSONCoding.decoder().decode(
          IntakeWire.Request.self, from: Data(frame))
        response = Self.wait { await handler(request, peer) }
      }
    } catch SocketFrames.Failure.tooLarge(let count) {
      response = .refused(
        field: "request",
        message: "is \(count) bytes; at most \(IntakeWire.maxRequestBytes) are read")
    } catch is DecodingError {
      response = .refused(field: "request", message: "is not a commsd intake request")
    } catch {
      return  // the client went away or timed out: nothing was stored
    }
    guard let bytes = try? JSONCoding.encoder().encode(response) else { return }
    try? SocketFrames.write(Array(bytes), to: fd)
  }

  /// Runs `body` on the concurrency pool and blocks this (non-pool) thread until it ends.
  private static func wait(
    _ body: @escaping @Sendable () async -> IntakeWire.Response
  ) -> IntakeWire.Response {
    let box = ResponseBox()
    let done = DispatchSemaphore(value: 0)
    Task {
      box.value = await body()
      done.signal()
    }
    done.wait()
    return box.value ?? .failed(message: "the daemon gave no answer")
  }

  private static func credentials(of fd: Int32) -> PeerCredentials? {
    // struct ucred { pid_t pid; uid_t uid; gid_t gid; }: Glibc's module hides
    // it behind _GNU_SOURCE, so read the three 32-bit fields directly.
    var fields: (Int32, UInt32, UInt32) = (0, 0, 0)
    var size = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
    guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &fields, &size) == 0 else { return nil }
    return PeerCredentials(pid: fields.0, uid: fields.1)
  }
}

/// Hands one answer from a task to the thread that waits for it; the
/// semaphore orders the write before the read.
private final class ResponseBox: @unchecked Sendable {
  var value: IntakeWire.Response?
}
