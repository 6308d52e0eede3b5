import CCurl

/// Separate connection caches for SMTP transfers, one per TLS setting.
///
/// Measured with libcurl 7.88.1: a transfer that requires STARTTLS reuses a
/// cached *plain* SMTP connection to the same host and port and sends the
/// message in clear text, and a STARTTLS connection set up without
/// certificate checks is reused by a later transfer that requires them.
/// libcurl compares TLS settings only for `smtps://`-style connections, not
/// for upgraded ones. Giving every (mode, verify, CA file) combination its own
/// share handle with its own connection cache keeps reuse (and its speed)
/// while making such a mix-up impossible. HTTP keeps using the multi handle's
/// cache: `https://` connections are matched on TLS settings by libcurl.
///
/// Confined to the engine thread, like every other libcurl call.
final class SMTPConnectionPools {
  private struct Setting: Hashable {
    var tls: SMTPTLSMode
    var verifyTLS: Bool
    var caFile: String?
  }

  private var shares: [Setting: UnsafeMutableRawPointer] = [:]

  /// The share handle whose connection cache an SMTP transfer with these
  /// settings must use, created on first use; nil if libcurl could not
  /// create one.
  func share(tls: SMTPTLSMode, verifyTLS: Bool, caFile: String?) -> UnsafeMutableRawPointer? {
    let setting = Setting(tls: tls, verifyTLS: verifyTLS, caFile: caFile)
    if let share = shares[setting] { return share }
    guard let share = ccurl_share_init() else { return nil }
    guard ccurl_share_setopt_lock_data(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) == CURLSHE_OK
    else {
      _ = ccurl_share_cleanup(share)
      return nil
    }
    shares[setting] = share
    return share
  }

  /// Closes the cached connections. Call only once no easy handle uses any
  /// of the shares (libcurl refuses to free a share in use).
  func closeAll() {
    for share in shares.values {
      _ = ccurl_share_cleanup(share)
    }
    shares.removeAll()
  }
}
