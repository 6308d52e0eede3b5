import Foundation

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Reads and checks an OASIS CAP 1.2 alert.
///
/// Checks what the CAP 1.2 standard and its schema require: the namespace,
/// the required elements, the enumerations, the date-time form, references
/// for Update/Cancel/Ack/Error, restriction for Restricted and addresses for
/// Private scope, identifiers without spaces, commas, `<` or `&`, language
/// tags, and polygons and circles in their defined form. Element order is
/// not checked (the schema's is a sequence; feeds get it wrong harmlessly),
/// but unknown CAP elements are refused.
///
/// Because alerts come from outside, the reader also refuses any document
/// over 1 MiB, any that is not UTF-8, and any DOCTYPE or entity declaration
/// (external entities, "billion laughs"): CAP needs none of them.
///
/// Normalisations: surrounding whitespace of identifiers, enumerations,
/// dates, language tags and numbers is layout and dropped; free text
/// (headline, description, ...) is kept exactly. An absent language is
/// "en-US"; "Very Likely" is `.likely`.
public enum CAPReader {
  /// The CAP 1.2 namespace, the only one read.
  static let namespace = "urn:oasis:names:tc:emergency:cap:1.2"
  /// The largest document read, in bytes (1 MiB): real alerts are a few
  /// kilobytes, and a limit bounds what a hostile feed can make us hold.
  static let maximumSize = 1 << 20

  /// The alert in `data`, or the first thing that is wrong with it.
  public static func parse(_ data: Data) throws(CAPError) -> CAPAlert {
    guard data.count <= maximumSize else {
      throw CAPError("", "document is \(data.count) bytes; at most \(maximumSize) are read")
    }
    guard !data.isEmpty else { throw CAPError("", "document is empty") }
    guard let text = String(data: data, encoding: .utf8) else {
      throw CAPError("", "document is not UTF-8")
    }
    try checkPrologue(text)
    let tree = try readTree(data)
    return try alert(tree)
  }

  /// Refuses a declared encoding other than UTF-8 (or its subset US-ASCII),
  /// and any DOCTYPE or ENTITY, before the XML parser sees the document: the
  /// only way to be sure no entity is ever expanded.
  private static func checkPrologue(_ text: String) throws(CAPError) {
    if text.hasPrefix("<?xml") || text.hasPrefix("\u{FEFF}<?xml"),
      let end = text.range(of: "?>")
    {
      let declaration = text[..<end.lowerBound]
      if let match = declaration.firstMatch(of: /encoding\s*=\s*["']([^"']*)["']/) {
        let encoding = match.1.lowercased()
        guard encoding == "utf-8" || encoding == "utf8" || encoding == "us-ascii" else {
          throw CAPError(
            "", "document declares encoding \"\(match.1)\"; only UTF-8 is read", line: 1)
        }
      }
    }
    // A processing instruction without data (`<?name?>`, `<?xml?>`) makes
    // Foundation's XMLParser on Linux dereference a null pointer and kill
    // the process (found by the fuzz test; `<?name data?>`, such as a feed's
    // `<?xml-stylesheet …?>`, is read as before). Refused before the parser
    // sees it, wherever it stands.
    if let found = text.firstMatch(of: /<\?[^\s?]*\?>/) {
      let line = text[..<found.range.lowerBound].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
      throw CAPError(
        "",
        "a processing instruction without data (\(Printable.quoted(String(found.output), limit: 40))) is not read in a CAP document",
        line: line)
    }
    for keyword in ["<!DOCTYPE", "<!ENTITY"] {
      if let found = text.range(of: keyword, options: .caseInsensitive) {
        let line = text[..<found.lowerBound].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
        throw CAPError("", declarationRefusal, line: line)
      }
    }
  }

  static let declarationRefusal =
    "DOCTYPE and entity declarations are not allowed in a CAP document"

  /// What to say of a root element in `namespace`, naming the older CAP
  /// versions so that a sender knows what to upgrade.
  static func wrongNamespace(_ namespace: String) -> String {
    let version: String? =
      switch namespace {
      case "urn:oasis:names:tc:emergency:cap:1.1": "CAP 1.1"
      case "http://www.incident.com/cap/1.0": "CAP 1.0"
      default: nil
      }
    if let version {
      return "is \(version) (\(namespace)); only CAP 1.2 (\(Self.namespace)) is read"
    }
    let named = namespace.isEmpty ? "no namespace" : "namespace \(namespace)"
    return "is in \(named), not CAP 1.2 (\(Self.namespace))"
  }

  private static func readTree(_ data: Data) throws(CAPError) -> CAPNode {
    let parser = XMLParser(data: data)
    parser.shouldProcessNamespaces = true
    parser.shouldReportNamespacePrefixes = false
    parser.shouldResolveExternalEntities = false
    let builder = CAPTreeBuilder()
    parser.delegate = builder
    let finished = parser.parse()
    if let failure = builder.failure { throw failure }
    guard finished, let root = builder.root else {
      throw CAPError("", "document is not complete XML", line: parser.lineNumber)
    }
    return root
  }
}
