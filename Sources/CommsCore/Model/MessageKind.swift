/// What kind of communication a message is, shown to the reader.
///
/// The crisis reports asked for honest process information ("we do not know
/// yet, we are looking into it") next to alerts and updates, and an explicit
/// all-clear when it is over.
public enum MessageKind: String, Sendable, Codable, CaseIterable {
  case alert
  case update
  case process
  case allClear = "all-clear"
  /// commsd's notice that an earlier message was withdrawn (`cancel --notify`).
  case retraction
}
