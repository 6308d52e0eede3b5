import Foundation

/// Settings that are valid but unsafe, which `commsd config check` prints
/// and the daemon logs at start: a person decides, but is told.
///
/// Each is something the configuration allows for a reason (a receiver on
/// the same machine, a relay inside a closed network, a test rig), and each
/// is a risk when it is not meant: messages and signatures readable on the
/// wire, a password sent in clear, a peer that is not checked, a secret that
/// everyone who has read the README knows.
public enum ConfigurationWarnings {
  /// The secrets and token hash printed in the example configuration and the
  /// README: anyone can sign or authenticate with them.
  static let publicSecrets: Set<String> = [
    "c+krAWLAGQZFW/rIQtD/s2U1xZlh1Lfb", "7yDalRohqWi8nyivJFnofSOVnDUtq8zO",
    "JDOINhra+exW2uF/qsM/M1XMu/u+in+J", "Y2FyZWJvb2stZGVtby1zZWNyZXQtMjAyNi0xMQ==",
  ]
  static let publicTokenHashes: Set<String> = [
    "9c77f64b7e856553756be215620335113d4725296ad711768d717915b54e9785"
  ]

  /// One line per unsafe setting, `KEY: what and why`, sorted by key.
  public static func of(_ configuration: Configuration) -> [String] {
    var warnings: [String] = []
    for (name, endpoint) in configuration.endpoints {
      let key = "endpoints.\(name)"
      if endpoint.url.lowercased().hasPrefix("http://"), !isLocal(endpoint.url) {
        warnings.append(
          "\(key).url: plain http:// to another machine: messages, personal data and signatures travel unencrypted; use https://"
        )
      }
      if !endpoint.verifyTLS {
        warnings.append(
          "\(key).verify_tls: false: the receiver's certificate is not checked, so anyone on the path can pose as it"
        )
      }
      // A URL that is its own credential, to another machine (the demo
      // receivers on loopback are nobody's secret).
      if endpoint.authentication == .none, !isLocal(endpoint.url) {
        warnings.append(
          "\(key): no authentication (\(endpoint.format.name)): the URL is the credential, so anyone who has it can post as commsd; keep it in url_file, readable only by commsd"
        )
      }
      if let key = endpoint.signingKey, publicSecrets.contains(Data(key).base64EncodedString()) {
        warnings.append(
          "endpoints.\(name).secret: the example's public secret: anyone can forge commsd's signature; make a new one (whsec_ and 24+ random bytes in base64)"
        )
      }
    }
    for (name, relay) in configuration.relays {
      let key = "relays.\(name)"
      let local = isLocal(relay.url)
      if relay.tls == SMTPTLSMode.none && relay.password != nil {
        warnings.append(
          "\(key).tls: \"none\" with a password: the password is sent in clear; use \"starttls\" or \"tls\""
        )
      } else if relay.tls == SMTPTLSMode.none && !local {
        warnings.append(
          "\(key).tls: \"none\" to another machine: mail and personal data travel unencrypted; use \"starttls\" or \"tls\""
        )
      }
      if !relay.verifyTLS {
        warnings.append(
          "\(key).verify_tls: false: the relay's certificate is not checked, so anyone on the path can pose as it"
        )
      }
    }
    if case .postgres(let text, _) = configuration.store, let url = PostgresURL(text) {
      if !url.isLocal && !url.requiresTLS {
        warnings.append(
          "store: \(url.remoteHosts.joined(separator: ", ")) without TLS (store_plaintext = true): names, addresses and messages travel unencrypted unless the link is protected another way"
        )
      }
      if let attributes = url.parameters["target_session_attrs"],
        !["read-write", "primary"].contains(attributes.lowercased())
      {
        warnings.append(
          "store: target_session_attrs=\(attributes) lets a node connect to a standby, where every write fails until the connection is made anew; leave it out (commsd asks for read-write) or write read-write"
        )
      }
    }
    if let api = configuration.api {
      if !api.usesTLS && !APISettings.isLoopback(api.host) {
        warnings.append(
          "api.listen: plain HTTP on \(api.host) (plaintext = true): tokens and messages travel unencrypted unless a TLS proxy is in front"
        )
      }
      for token in api.tokens where publicTokenHashes.contains(LowerHex.string(token.hash)) {
        warnings.append(
          "api.tokens (\(token.name)): the README's public demo token: anyone can use it; remove it and make one with `commsd token create`"
        )
      }
      for (name, hook) in api.hooks
      where publicSecrets.contains(Data(hook.key).base64EncodedString()) {
        warnings.append(
          "hooks.\(name).secret: the example's public secret: anyone can post messages through this hook; make a new one"
        )
      }
    }
    return warnings.sorted()
  }

  /// Whether the URL's host is this machine (loopback), where plain text
  /// does not leave it.
  static func isLocal(_ url: String) -> Bool {
    guard var host = URLComponents(string: url)?.host else { return false }
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return APISettings.isLoopback(host.lowercased())
  }
}
