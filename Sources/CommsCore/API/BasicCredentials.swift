import Foundation

/// An `Authorization: Basic …` header read back (RFC 7617): the user and
/// password, or nil for anything else (another scheme, bad Base64, not
/// UTF-8, no colon, over 1 KiB).
struct BasicCredentials: Equatable {
  var user: String
  var password: String

  init?(_ header: String?) {
    guard let header, header.utf8.count <= 1024 else { return nil }
    let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
    guard parts.count == 2, parts[0].lowercased() == "basic",
      let data = Data(base64Encoded: parts[1].trimmingCharacters(in: .whitespaces)),
      let text = String(data: data, encoding: .utf8),
      let colon = text.firstIndex(of: ":")
    else { return nil }
    user = String(text[..<colon])
    password = String(text[text.index(after: colon)...])
  }
}
