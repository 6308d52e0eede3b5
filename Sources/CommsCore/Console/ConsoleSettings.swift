import Foundation

/// The `[console]` section: the web console for crisis staff, served under
/// `/console` by the HTTP API (same listener, TLS and audit). Without the
/// section there is no console.
///
/// ```toml
/// [console]
/// session_idle = "30m"     # a session unused this long ends (5m to 24h)
/// session_max = "12h"      # and every session ends this long after sign-in (1h to 7d)
///
/// [console.oidc]            # optional: see `OIDCSettings`
/// ```
///
/// What a person may do comes from `[[operators]]`: a local account
/// (`commsd user add NAME`) is named by `user = "NAME"` (the same entry
/// names the Unix user of that name), a person from the identity provider
/// by `idp_group = "…"`. Without any `[[operators]]` a local account may
/// do everything and nobody from an identity provider may sign in.
public struct ConsoleSettings: Sendable, Equatable {
  public var sessionIdle: Duration = .seconds(30 * 60)
  public var sessionMax: Duration = .seconds(12 * 3600)
  /// Signing in through the identity provider (`[console.oidc]`); nil: local accounts only.
  public var oidc: OIDCSettings?

  public init() {}
}
