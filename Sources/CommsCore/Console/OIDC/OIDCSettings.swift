import Foundation

/// `[console.oidc]`: signing in through the municipality's identity
/// provider with OpenID Connect (authorization code with PKCE).
///
/// ```toml
/// [console.oidc]
/// issuer = "https://login.kommune.dk/realms/krise"  # discovery at issuer + /.well-known/openid-configuration
/// client_id = "commsd"
/// client_secret_file = "/etc/commsd/oidc-client-secret"  # or client_secret; none: a public client (PKCE only)
/// redirect_url = "https://commsd.kommune.dk/console/oidc/callback"
/// scopes = ["openid", "profile"]       # add what the provider needs to send groups
/// name_claim = "preferred_username"    # the person's name in the audit log
/// display_name_claim = "name"
/// groups_claim = "groups"              # matched by [[operators]] idp_group
/// label = "Log ind med kommunens login"
/// ```
///
/// The issuer, and so every endpoint it names, is HTTPS unless it is on
/// this machine (a test provider on loopback).
public struct OIDCSettings: Sendable, Equatable {
  public var issuer: String
  public var clientID: String
  public var clientSecret: String?
  public var redirectURL: String
  public var scopes = ["openid", "profile"]
  public var nameClaim = "preferred_username"
  public var displayNameClaim = "name"
  public var groupsClaim = "groups"
  public var label = "Log ind med kommunens login"

  public init(issuer: String, clientID: String, redirectURL: String) {
    self.issuer = issuer
    self.clientID = clientID
    self.redirectURL = redirectURL
  }

  /// Whether `url` may be used for the provider: HTTPS to a host, or HTTP
  /// to this machine; never with a user name or password in it (in
  /// `http://127.0.0.1:80@elsewhere/` the host is elsewhere).
  static func isAllowed(_ url: String) -> Bool {
    guard let parts = URLComponents(string: url), parts.user == nil, parts.password == nil,
      let host = parts.host, !host.isEmpty, !url.contains("@")
    else { return false }
    switch parts.scheme {
    case "https": return true
    case "http": return ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
    default: return false
    }
  }
}
