import Foundation

/// `[confirm]`: where readers confirm a message that asks for it.
///
/// ```toml
/// [confirm]
/// public_url = "https://commsd.kommune.example"   # as readers' phones reach the API
/// link_key_file = "/etc/commsd/confirm-link.key"  # default: confirm-link.key in data_dir
/// link_valid = "7d"                               # from the message's acceptance
/// sms_words = ["OK", "JA"]                        # replies that confirm (default: ConfirmKeywords.standard)
/// sms_prefix = "krise"                            # a keyword leased on a shared short code, dropped first
/// ```
///
/// Without `public_url` no link is put in messages (confirmations come by
/// phone, `commsd confirm`, or the other ways). Several nodes must share one
/// key file, or a link made by one is refused by another.
public struct ConfirmSettings: Sendable, Equatable {
  public var publicURL: String?
  public var linkKeyFile: String
  /// How long after acceptance a link still opens the page.
  public var linkValid: Duration = .seconds(7 * 86400)
  /// An SMS reply that is one of these words confirms (`sms_words`).
  public var smsWords: ConfirmKeywords = .standard
  /// GatewayAPI passes a keyword leased on a shared short code at the start
  /// of the text (`sms_prefix`): it is dropped before the words are read.
  public var smsPrefix: String?

  public init(
    publicURL: String? = nil, linkKeyFile: String, linkValid: Duration = .seconds(7 * 86400)
  ) {
    self.publicURL = publicURL
    self.linkKeyFile = linkKeyFile
    self.linkValid = linkValid
  }
}
