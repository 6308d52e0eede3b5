import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Who holds a lease: one run of `commsd serve`, written into
/// `deliveries.lease_owner` as `HOST:PID:BOOT:PIDNS:RUN`.
///
/// `HOST:PID` alone is not unique: cloned machines share a host name, and
/// in containers every daemon is pid 1. So the owner also names the kernel's
/// boot (`/proc/sys/kernel/random/boot_id`), the pid namespace
/// (`/proc/self/ns/pid`) and a random run id, which makes it unique per
/// run: a restarted daemon never mistakes its earlier run's leases for its
/// own (`release`, `postpone` and outcomes check the owner).
///
/// An earlier run's leases may be taken back at start, before they run out,
/// only when its process has provably ended: see `hasEnded(_:isAlive:)`.
public struct LeaseOwner: Sendable, Equatable, CustomStringConvertible {
  public var host: String
  public var pid: Int32
  /// The boot id without dashes, or "-" when it cannot be read.
  public var boot: String
  /// The pid namespace's inode number, or "-" when it cannot be read.
  public var pidNamespace: String
  /// Random, new for each run.
  public var run: String

  public init(host: String, pid: Int32, boot: String, pidNamespace: String, run: String) {
    self.host = host
    self.pid = pid
    self.boot = boot
    self.pidNamespace = pidNamespace
    self.run = run
  }

  public var description: String { "\(host):\(pid):\(boot):\(pidNamespace):\(run)" }

  /// Reads an owner as `description` writes it; nil for anything else
  /// (an owner written before this format, `HOST:PID`, included).
  public init?(parsing text: String) {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 5, !parts[0].isEmpty, let pid = Int32(parts[1]), pid > 0,
      !parts[2].isEmpty, !parts[3].isEmpty, !parts[4].isEmpty
    else { return nil }
    self.init(
      host: String(parts[0]), pid: pid, boot: String(parts[2]), pidNamespace: String(parts[3]),
      run: String(parts[4]))
  }

  /// This process, with a fresh run id.
  public static func current(
    using generator: inout some RandomNumberGenerator
  ) -> LeaseOwner {
    let boot =
      (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))
      .map { $0.filter { $0.isHexDigit } } ?? ""
    // "pid:[4026531836]": the inode number names the namespace on this boot.
    let namespace =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid"))
      .map { $0.filter(\.isNumber) } ?? ""
    return LeaseOwner(
      host: ProcessInfo.processInfo.hostName.filter { $0 != ":" }, pid: getpid(),
      boot: boot.isEmpty ? "-" : boot, pidNamespace: namespace.isEmpty ? "-" : namespace,
      run: LowerHex.string((0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }))
  }

  /// Whether `earlier` is a run of commsd whose process has ended, so that
  /// its leases can go back at once: it ran on this host, in this boot of
  /// this kernel and in this pid namespace (so its pid means the same
  /// process here), and its pid is gone (`isAlive` false) or is this very
  /// process (then that run is over: a pid names one live process).
  ///
  /// Anything it cannot prove is left to the lease's expiry: another boot
  /// (a reboot, or a clone with the same host name — the two look alike),
  /// another container with the same host name (another pid namespace), an
  /// owner written before this format, an unreadable boot id or namespace,
  /// and a pid that is alive (maybe reused by an unrelated process).
  public func hasEnded(_ earlier: LeaseOwner, isAlive: (Int32) -> Bool) -> Bool {
    guard earlier != self, earlier.host == host, boot != "-", pidNamespace != "-",
      earlier.boot == boot, earlier.pidNamespace == pidNamespace
    else { return false }
    return earlier.pid == pid || !isAlive(earlier.pid)
  }

  /// Whether process `pid` exists in this pid namespace (`kill(pid, 0)`;
  /// any answer but "no such process" counts as alive).
  public static func processExists(_ pid: Int32) -> Bool {
    kill(pid, 0) == 0 || errno != ESRCH
  }
}
