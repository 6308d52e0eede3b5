/// The `[api]` section: where the HTTP API listens, how it is protected,
/// and who may use it. Without the section there is no HTTP API.
///
/// ```toml
/// [api]
/// listen = "127.0.0.1:8470"                 # loopback unless TLS or plaintext = true
/// tls_certificate = "/etc/commsd/tls/cert.pem"
/// tls_key = "/etc/commsd/tls/key.pem"
/// plaintext = false                         # true: a non-loopback address without TLS is intended
/// max_body_bytes = 1048576                  # larger request bodies get 413
/// idle_timeout = "30s"                      # a connection without a request in progress is closed
/// max_connections = 512                     # more wait in the listen backlog until one closes
/// tls_handshake_timeout = "10s"             # a TLS handshake not done by then is cut off
/// metrics_public = false                    # true: GET /metrics without a token
///
/// [[api.tokens]]                            # `commsd token create` prints these lines
/// name = "care-system"
/// hash = "sha256:…"                         # SHA-256 of the token; the token itself is never stored
/// audiences = ["relatives"]
/// max_priority = "urgent"
/// read_only = false
/// audit = false                             # may read GET /v1/audit
/// ```
public struct APISettings: Sendable, Equatable {
  public var host: String
  public var port: Int
  public var tlsCertificate: String?
  public var tlsKey: String?
  public var plaintext = false
  public var maxBodyBytes = 1024 * 1024
  /// A connection that is not sending a request or waiting for an answer is
  /// closed after this long (so idle connections cannot use up descriptors).
  public var idleTimeout: Duration = .seconds(30)
  /// Connections served at once; further ones wait in the listen backlog
  /// (and are refused by the kernel once it is full).
  public var maxConnections = 512
  /// How long a client has to complete the TLS handshake.
  public var tlsHandshakeTimeout: Duration = .seconds(10)
  /// Whether `GET /metrics` answers without a bearer token.
  public var metricsPublic = false
  public var tokens: [APIToken] = []
  /// Inbound webhook sources (`[hooks.NAME]`), by name.
  public var hooks: [String: InboundHook] = [:]

  public init(host: String = "127.0.0.1", port: Int = 8470) {
    self.host = host
    self.port = port
  }

  public var usesTLS: Bool { tlsCertificate != nil }

  /// Whether `host` only ever reaches this machine.
  public static func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host.hasPrefix("127.")
  }
}

/// One bearer token's identity and scope. Only its SHA-256 is configured.
public struct APIToken: Sendable, Equatable {
  public var name: String
  /// SHA-256 of the token text (32 bytes).
  public var hash: [UInt8]
  /// The audiences it may send to and read messages of.
  public var audiences: Set<String>
  /// The most urgent priority it may send (`flash` allows everything).
  public var maxPriority: Priority
  /// Only GET routes.
  public var readOnly: Bool
  /// What it may do, in the operators' vocabulary (`OperatorRight`):
  /// `send` (`POST /v1/messages`, `/v1/cap`), `cancel` (cancel and, with
  /// `send`, supersede), `approve` (`/v1/messages/{id}/approve|reject`),
  /// `audit` (`GET /v1/audit`), `inbox` (`/v1/inquiries`). Default: send,
  /// cancel and inbox, with audit for `audit = true`.
  public var rights: Set<OperatorRight>

  /// May read the audit log (`GET /v1/audit`).
  public var audit: Bool { rights.contains(.audit) }

  public init(
    name: String, hash: [UInt8], audiences: Set<String>, maxPriority: Priority,
    readOnly: Bool = false, audit: Bool = false, rights: Set<OperatorRight>? = nil
  ) {
    self.name = name
    self.hash = hash
    self.audiences = audiences
    self.maxPriority = maxPriority
    self.readOnly = readOnly
    self.rights = rights ?? (audit ? [.send, .cancel, .inbox, .audit] : [.send, .cancel, .inbox])
  }

  /// Whether it may send at `priority` (lower lanes are more urgent).
  public func allows(_ priority: Priority) -> Bool { priority >= maxPriority }

  /// Whether every one of `audiences` is within its scope.
  public func covers(_ audiences: some Sequence<String>) -> Bool {
    audiences.allSatisfy(self.audiences.contains)
  }
}

/// A configured source of inbound webhooks (`POST /v1/hooks/NAME`): signed
/// with the Standard Webhooks scheme under `secret`, turned into a message
/// by its templates (Mustache over the JSON payload).
///
/// ```toml
/// [hooks.care-system]
/// secret_file = "/etc/commsd/hooks/care-system.secret"   # whsec_…
/// audiences = ["relatives"]
/// priority = "normal"
/// subject = "{{title}}"
/// body = "{{text}}"
/// ```
public struct InboundHook: Sendable, Equatable {
  public var name: String
  public var key: [UInt8]
  public var audiences: [String]
  public var priority: Priority
  public var kind: MessageKind
  public var subject: String
  public var body: String
  /// The source posts questions (`inquiries = true`), not messages: each
  /// event becomes an inquiry (`HooksController.postInquiry`).
  public var inquiries = false

  public init(
    name: String, key: [UInt8], audiences: [String], priority: Priority, kind: MessageKind,
    subject: String, body: String, inquiries: Bool = false
  ) {
    self.inquiries = inquiries
    self.name = name
    self.key = key
    self.audiences = audiences
    self.priority = priority
    self.kind = kind
    self.subject = subject
    self.body = body
  }
}
