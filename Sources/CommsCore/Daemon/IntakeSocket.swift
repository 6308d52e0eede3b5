import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The process on the other end of a Unix socket, as the kernel reports it
/// (`SO_PEERCRED`): who is asking, whatever the client claims.
public struct PeerCredentials: Sendable, Equatable {
  public var pid: Int32
  public var uid: UInt32

  /// The login name of `uid`, or `uid1234` when it has none.
  public var userName: String { OperatorName.userName(uid) }

  /// The operator to record, from the kernel's account of the peer (its
  /// uid, and the login uid behind a `sudo`); see `OperatorName`. The
  /// client's own claim counts only as a claim.
  public func operatorName(claimedPerson: String?) -> String {
    OperatorName.make(
      account: uid, loginUID: OperatorName.loginUID(ofProcess: String(pid)),
      claimedPerson: claimedPerson)
  }
}

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
public final class IntakeSocket: Sendable {
  public typealias Handler =
    @Sendable (IntakeWire.Request, PeerCredentials) async -> IntakeWire.Response

  let path: String
  let descriptor: Int32
  private let closed = Atomic<Bool>(false)

  public init(path: String, handler: @escaping Handler) throws {
    self.path = path
    unlink(path)
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw LocalSocketError.cannotOpen(path, errno) }
    guard UnixSocketAddress.with(path, { bind(fd, $0, $1) }) == 0, chmod(path, 0o660) == 0,
      listen(fd, 64) == 0
    else {
      let code = errno
      Glibc.close(fd)
      throw LocalSocketError.cannotOpen(path, code)
    }
    descriptor = fd
    let thread = Thread {
      while true {
        let client = accept(fd, nil, nil)
        if client < 0 {
          if errno == EINTR || errno == ECONNABORTED { continue }
          return  // closed
        }
        // One short-lived thread per request: requests are few (people
        // typing commands, scripts), and a slow client holds only its own.
        let worker = Thread { Self.serve(client, handler: handler) }
        worker.name = "commsd-intake"
        worker.start()
      }
    }
    thread.name = "commsd-intake-accept"
    thread.start()
  }

  /// Stops accepting and removes the socket file.
  public func close() {
    guard !closed.exchange(true, ordering: .relaxed) else { return }
    unlink(path)
    shutdown(descriptor, Int32(SHUT_RDWR))
    Glibc.close(descriptor)
  }

  private static func serve(_ fd: Int32, handler: @escaping Handler) {
    defer { Glibc.close(fd) }
    SocketFrames.setTimeout(10, on: fd)
    guard let peer = credentials(of: fd) else { return }
    let response: IntakeWire.Response
    do {
      let frame = try SocketFrames.read(from: fd, limit: IntakeWire.maxRequestBytes)
      let request = try JSONCoding.decoder().decode(IntakeWire.Request.self, from: Data(frame))
      response = Self.wait { await handler(request, peer) }
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
