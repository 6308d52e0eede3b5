import Crypto
import Foundation
import Synchronization

/// The identity provider as the console talks to it, through libcurl:
/// its discovery document (read when first needed, kept for an hour), its
/// keys (read again when a token names a key not yet known, at most once
/// a minute), the authorization request with PKCE, and the exchange of a
/// code for a checked ID token. Every answer is read as hostile: bounded
/// by libcurl's body limit, its JSON checked, its endpoints held to HTTPS
/// (or loopback).
final class OIDCProvider: Sendable {
  struct Endpoints: Sendable {
    var authorization: String
    var token: String
    var jwks: String
  }

  struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
  }

  let settings: OIDCSettings
  private let engine: CurlEngine
  private let cache = Mutex<Cache>(Cache())

  private struct Cache {
    var endpoints: (Endpoints, Date)?
    var keys: [JWK] = []
    var keysFetched: Date?
  }

  init(settings: OIDCSettings, engine: CurlEngine = CurlEngine(maxConnections: 4)) {
    self.settings = settings
    self.engine = engine
  }

  func endpoints(now: Date) async throws(Failure) -> Endpoints {
    if let (cached, at) = cache.withLock({ $0.endpoints }), now.timeIntervalSince(at) < 3600 {
      return cached
    }
    let url =
      settings.issuer.hasSuffix("/")
      ? settings.issuer + ".well-known/openid-configuration"
      : settings.issuer + "/.well-known/openid-configuration"
    let object = try await json(CurlRequest(payload: .httpGet(url: url, headers: accept)))
    guard object["issuer"] as? String == settings.issuer else {
      throw Failure("the provider's discovery document names another issuer")
    }
    guard let authorization = object["authorization_endpoint"] as? String,
      let token = object["token_endpoint"] as? String, let jwks = object["jwks_uri"] as? String,
      [authorization, token, jwks].allSatisfy(OIDCSettings.isAllowed)
    else {
      throw Failure(
        "the provider's discovery document lacks an HTTPS authorization, token or jwks endpoint")
    }
    let endpoints = Endpoints(authorization: authorization, token: token, jwks: jwks)
    cache.withLock { $0.endpoints = (endpoints, now) }
    return endpoints
  }

  /// Where the browser goes to sign in.
  func authorizationURL(state: String, nonce: String, verifier: String, now: Date)
    async throws(Failure) -> String
  {
    let endpoint = try await endpoints(now: now).authorization
    let query = FormBody([
      ("response_type", "code"), ("client_id", settings.clientID),
      ("redirect_uri", settings.redirectURL), ("scope", settings.scopes.joined(separator: " ")),
      ("state", state), ("nonce", nonce), ("code_challenge", Self.challenge(verifier)),
      ("code_challenge_method", "S256"),
    ]).encoded
    return endpoint + (endpoint.contains("?") ? "&" : "?") + query
  }

  /// PKCE S256: base64url(SHA-256(verifier)).
  static func challenge(_ verifier: String) -> String {
    ConsoleSession.base64url(SHA256.hash(data: Array(verifier.utf8)))
  }

  /// Exchanges `code` for the ID token, checked against this sign-in's nonce.
  func signIn(code: String, verifier: String, nonce: String, now: Date) async throws(Failure)
    -> IDToken
  {
    let endpoints = try await endpoints(now: now)
    let fields = [
      ("grant_type", "authorization_code"), ("code", code),
      ("redirect_uri", settings.redirectURL), ("code_verifier", verifier),
      ("client_id", settings.clientID),
    ]
    var headers =
      accept + [
        HTTPHeaderField(name: "Content-Type", value: "application/x-www-form-urlencoded")
      ]
    if let secret = settings.clientSecret {
      // client_secret_basic, each part form-encoded first (RFC 6749 2.3.1).
      let pair = FormBody.encode(settings.clientID) + ":" + FormBody.encode(secret)
      headers.append(
        HTTPHeaderField(
          name: "Authorization", value: "Basic " + Data(pair.utf8).base64EncodedString()))
    }
    let answer = try await json(
      CurlRequest(
        payload: .httpPost(
          url: endpoints.token, headers: headers, body: Array(FormBody(fields).encoded.utf8))))
    guard let compact = answer["id_token"] as? String else {
      throw Failure(
        "the provider gave no ID token"
          + ((answer["error"] as? String).map { ": \($0.prefix(100))" } ?? ""))
    }
    let expected = IDToken.Expected(
      issuer: settings.issuer, clientID: settings.clientID, nonce: nonce, now: now)
    let known = try await keys(now: now, refresh: false)
    switch Result(catching: { () throws(IDToken.Invalid) in
      try IDToken.verify(compact, keys: known, expected: expected)
    }) {
    case .success(let token): return token
    case .failure(let invalid) where !invalid.unknownKey: throw Failure(invalid.description)
    case .failure: break
    }
    // A key not known yet (the provider rolled its keys): read them again, once.
    let fresh = try await keys(now: now, refresh: true)
    switch Result(catching: { () throws(IDToken.Invalid) in
      try IDToken.verify(compact, keys: fresh, expected: expected)
    }) {
    case .success(let token): return token
    case .failure(let invalid): throw Failure(invalid.description)
    }
  }

  private func keys(now: Date, refresh: Bool) async throws(Failure) -> [JWK] {
    let (known, fetched) = cache.withLock { ($0.keys, $0.keysFetched) }
    if !known.isEmpty, !refresh || (fetched.map { now.timeIntervalSince($0) < 60 } ?? false) {
      return known
    }
    let url = try await endpoints(now: now).jwks
    let response = await engine.perform(CurlRequest(payload: .httpGet(url: url, headers: accept)))
    guard response.completed, response.statusCode == 200 else {
      throw Failure("the provider's keys could not be read (\(response.statusCode))")
    }
    let keys = JWK.set(response.body)
    guard !keys.isEmpty else { throw Failure("the provider's key set has no RS256 or ES256 key") }
    cache.withLock {
      $0.keys = keys
      $0.keysFetched = now
    }
    return keys
  }

  private var accept: [HTTPHeaderField] {
    [HTTPHeaderField(name: "Accept", value: "application/json")]
  }

  private func json(_ request: CurlRequest) async throws(Failure) -> [String: Any] {
    let response = await engine.perform(request)
    guard response.completed else {
      throw Failure(
        "the provider did not answer: \(response.errorMessage ?? "curl \(response.curlCode)")")
    }
    guard
      let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
    else { throw Failure("the provider's answer (\(response.statusCode)) is not a JSON object") }
    guard (200..<300).contains(response.statusCode) else {
      let error =
        (object["error"] as? String).map { String($0.prefix(100)) }
        ?? "status \(response.statusCode)"
      throw Failure("the provider refused: \(error)")
    }
    return object
  }
}
