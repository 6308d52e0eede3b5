import Foundation
import HTTPTypes
import Hummingbird

/// The console's answers: pages under a strict Content-Security-Policy
/// (only the console's own stylesheet and script, nothing inline, nothing
/// framed, forms only to itself), redirects after a POST, and its cookies.
enum ConsoleResponse {
  static let contentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

  /// The session cookie: `__Host-` (only this host, path /, Secure), not
  /// for scripts, and `Lax` so a link in a message opens the console
  /// signed in; a form from elsewhere still lacks the CSRF token.
  static let sessionCookie = "__Host-commsd-session"
  /// The sign-in form's own CSRF token (before there is a session), and
  /// the identity provider's round trip (state, nonce, PKCE verifier).
  static let signInCookie = "__Host-commsd-signin"
  /// The chosen language; not a secret.
  static let languageCookie = "commsd-lang"

  static func headers() -> HTTPFields {
    var headers = HTTPFields()
    headers[.contentType] = "text/html; charset=utf-8"
    headers[.cacheControl] = "no-store"
    headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
    headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
    headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
    headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
    return headers
  }

  static func page(
    _ markup: Markup, status: HTTPResponse.Status = .ok, cookies: [String] = []
  ) -> Response {
    var headers = headers()
    for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
    return Response(
      status: status, headers: headers,
      body: ResponseBody(byteBuffer: ByteBuffer(string: markup.html)))
  }

  /// 303 to `path` (always one of the console's own).
  static func redirect(to path: String, cookies: [String] = []) -> Response {
    var headers = headers()
    headers[.location] = path.hasPrefix("/console") ? path : "/console"
    for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
    return Response(status: .seeOther, headers: headers)
  }

  static func cookie(
    _ name: String, _ value: String, maxAge: Int, sameSite: String = "Lax", httpOnly: Bool = true
  ) -> String {
    "\(name)=\(value); Path=/; Max-Age=\(maxAge); Secure; SameSite=\(sameSite)"
      + (httpOnly ? "; HttpOnly" : "")
  }

  static func clear(_ name: String) -> String {
    "\(name)=; Path=/; Max-Age=0; Secure; SameSite=Lax; HttpOnly"
  }

  /// Where to go after signing in: a console path given by the sign-in
  /// page's `next`, or the board. Never another site (`//host`, `/\\host`).
  static func safeNext(_ next: String?) -> String {
    guard let next, next.hasPrefix("/console"), !next.hasPrefix("//"), next.utf8.count <= 500,
      next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" })
    else { return "/console" }
    return next
  }
}
