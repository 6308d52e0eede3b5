import Foundation

/// Everything `commsd` is configured with, read from one TOML file
/// (default `/etc/commsd/commsd.toml`). See `config/example/commsd.toml`.
public struct Configuration: Sendable {
  /// The file it was read from (as given), and the SHA-256 of its bytes.
  public var file: String
  public var hash: String
  /// Where the store and the daemon's runtime files live; absolute.
  public var dataDirectory: String
  /// Used as the right-hand side of email Message-IDs.
  public var messageIDDomain: String
  public var defaultLanguage: String
  /// The message templates' folder (`templates`; `templates/` beside the file).
  public var templateFolder = ""
  public var logLevel: String
  public var dispatch: DispatchSettings
  public var retry: RetryPolicy
  public var relays: [String: Relay]
  /// The relay email deliveries use.
  public var defaultRelay: String?
  public var endpoints: [String: Endpoint]
  public var audiences: [String: Audience]
  /// Inline recipients and those of every list, in that order.
  public var recipients: [Recipient]
  /// The CSV recipient lists read (absolute paths).
  public var recipientLists: [String]
  /// CAP 1.2 in and out (`[cap]`): which audiences alerts reach, who commsd is on export.
  public var cap = CAPSettings()
  /// How long personal data stays readable (`[retention]`).
  public var retention: RetentionSettings
  /// The HTTP API (`[api]`, `[hooks.NAME]`); nil: none.
  public var api: APISettings?
  /// The web console (`[console]`), served by the HTTP API; nil: none.
  public var console: ConsoleSettings?
  /// Where the queue and the audit log live (`store`): SQLite by default.
  public var store: StoreSettings = .sqlite
  /// Where readers confirm (`[confirm]`).
  public var confirm = ConfirmSettings(linkKeyFile: "confirm-link.key")
  /// Questions from senders commsd does not know, and how far back a
  /// person's latest bulletin is the one they answer (`[inbound]`).
  public var inbound = InboundSettings()
  /// Who may send what over the intake socket (`[[operators]]`); none: anyone who may use it.
  public var operators = OperatorPolicy()

  /// Everything intake of a question needs, per audience.
  public var inboundPolicy: InboundPolicy {
    InboundPolicy(
      audiences: audiences.compactMapValues(\.inbound), unmatched: inbound.unmatched,
      matchWithin: inbound.matchWithin, defaultLanguage: defaultLanguage,
      displayNames: audiences.mapValues(\.displayName))
  }

  /// The SQLite store's file name inside the data directory.
  public static let storeFileName = "commsd.sqlite"
  /// The SQLite store's path.
  public var storePath: String {
    (dataDirectory as NSString).appendingPathComponent(Self.storeFileName)
  }
  /// The datagram socket the daemon listens on for wake-ups after `commsd send`.
  public var wakeSocketPath: String {
    (dataDirectory as NSString).appendingPathComponent("commsd.wake")
  }

  /// The stream socket the daemon takes `commsd send` requests on.
  public var intakeSocketPath: String {
    (dataDirectory as NSString).appendingPathComponent("commsd.sock")
  }

  /// The recipients as a directory for planning and targeting.
  public var directory: RecipientDirectory { RecipientDirectory(recipients) }
}

extension Configuration {
  /// The templates, as this configuration places them.
  public var templates: TemplateLibrary {
    TemplateLibrary(
      folder: templateFolder, defaultLanguage: defaultLanguage, audiences: Set(audiences.keys))
  }
}
