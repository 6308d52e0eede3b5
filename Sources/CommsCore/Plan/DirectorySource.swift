import Foundation
import Synchronization

/// The recipient directory the planner uses, re-read without a restart when
/// the configuration file or one of its recipient lists changes on disk.
///
/// A changed file that does not validate is refused and the directory in use
/// stays: a half-edited CSV must never shrink an audience. Only recipients
/// and `[[operators]]` are taken from a reload; endpoints, relays and
/// templates change with a restart. A reload signal (`ConfigurationReload`) checks and adopts at once.
public final class DirectorySource: Sendable {
  /// What a reload check found.
  public enum Outcome: Sendable {
    case unchanged
    case reloaded(recipients: Int, hash: String)
    case refused(ConfigErrors)
  }

  private struct State {
    var directory: RecipientDirectory
    var stamps: [String: Date]
    /// Who may send what: taken with every reload, so a removed operator
    /// loses their rights without a restart.
    var operators: OperatorPolicy
  }

  private let configurationPath: String
  private let state: Mutex<State>

  public init(configuration: Configuration) {
    configurationPath = configuration.file
    state = Mutex(
      State(
        directory: RecipientDirectory(configuration.recipients),
        stamps: Self.stamps(of: [configuration.file] + configuration.recipientLists),
        operators: configuration.operators))
  }

  /// The directory in use now.
  public var current: RecipientDirectory { state.withLock { $0.directory } }

  /// The `[[operators]]` in force now.
  public var operators: OperatorPolicy { state.withLock { $0.operators } }

  /// Re-reads the configuration if any of its files changed since the last look.
  public func reloadIfChanged() -> Outcome {
    let known = state.withLock { $0.stamps }
    guard Self.stamps(of: Array(known.keys)) != known else { return .unchanged }
    do {
      let configuration = try ConfigurationLoader.load(path: configurationPath)
      let stamps = Self.stamps(of: [configuration.file] + configuration.recipientLists)
      state.withLock {
        $0 = State(
          directory: RecipientDirectory(configuration.recipients), stamps: stamps,
          operators: configuration.operators)
      }
      return .reloaded(recipients: configuration.recipients.count, hash: configuration.hash)
    } catch {
      // Remember the new stamps, so the same bad file is reported once, not every poll.
      let stamps = Self.stamps(of: Array(known.keys))
      state.withLock { $0.stamps = stamps }
      return .refused(error)
    }
  }

  /// Takes the recipients of `configuration`, already loaded and checked
  /// (a reload signal), and its files' current stamps.
  public func adopt(_ configuration: Configuration) {
    let stamps = Self.stamps(of: [configuration.file] + configuration.recipientLists)
    state.withLock {
      $0 = State(
        directory: RecipientDirectory(configuration.recipients), stamps: stamps,
        operators: configuration.operators)
    }
  }

  private static func stamps(of paths: [String]) -> [String: Date] {
    var stamps: [String: Date] = [:]
    for path in paths {
      let attributes = try? FileManager.default.attributesOfItem(atPath: path)
      stamps[path] = attributes?[.modificationDate] as? Date ?? .distantPast
    }
    return stamps
  }
}
