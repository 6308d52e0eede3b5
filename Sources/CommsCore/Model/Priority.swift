/// How urgent a message is. The order decides which lane a delivery waits in:
/// a lower `lane` is always sent first.
///
/// - `flash`: life and safety; never held, never capped.
/// - `urgent`: not digested or capped; respects quiet hours unless policy says otherwise.
/// - `normal`: all dosing applies.
/// - `bulk`: all dosing applies, and it goes last.
public enum Priority: String, Sendable, Codable, CaseIterable, Comparable {
  case flash, urgent, normal, bulk

  /// The lane number stored with each delivery; leasing orders by it.
  public var lane: Int {
    switch self {
    case .flash: 0
    case .urgent: 1
    case .normal: 2
    case .bulk: 3
    }
  }

  public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.lane < rhs.lane }
}
