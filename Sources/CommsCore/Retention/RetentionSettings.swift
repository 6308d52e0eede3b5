/// The `[retention]` section: how long message bodies and contact data are
/// kept readable before they are replaced by keyed hashes.
///
/// ```toml
/// [retention]
/// period = "180d"                           # required to turn retention on
/// key_file = "/etc/commsd/retention.key"    # default: retention.key in data_dir
/// check_every = "1h"                        # how often the daemon looks; default 1h
/// ```
///
/// Without the section nothing is pseudonymised (the operator has not said
/// how long to keep it); `commsd config check` says so.
public struct RetentionSettings: Sendable, Equatable {
  /// How long after acceptance a message's personal data is kept; nil: kept.
  public var period: Duration?
  /// The key file (absolute).
  public var keyFile: String
  public var checkEvery: Duration = .seconds(3600)

  public init(period: Duration? = nil, keyFile: String, checkEvery: Duration = .seconds(3600)) {
    self.period = period
    self.keyFile = keyFile
    self.checkEvery = checkEvery
  }
}
