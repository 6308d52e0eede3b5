import Foundation

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// One CAP element as read: its path for messages, its line, its text and
/// its CAP children in document order.
struct CAPNode {
  var name: String
  var path: String
  var line: Int
  var text = ""
  var children: [CAPNode] = []
}

/// Turns `XMLParser`'s events into a `CAPNode` tree, refusing at once what
/// no CAP 1.2 document may hold, so the error carries the parser's line:
/// a root that is not a CAP 1.2 `alert`, an unknown or misplaced element, a
/// second copy of a non-repeatable one, text between elements, and any DTD
/// declaration (the prologue check in `CAPReader` refuses DOCTYPE first;
/// this is the second line of defence).
///
/// Elements of another namespace (an XML signature, a feed's extension) are
/// skipped with all they hold; elements of no namespace are refused, since
/// in practice they are CAP elements that lost their namespace.
final class CAPTreeBuilder: NSObject, XMLParserDelegate {
  private(set) var root: CAPNode?
  private(set) var failure: CAPError?
  private var stack: [CAPNode] = []
  /// Per open element, how many children of each name it has had so far.
  private var seen: [[String: Int]] = []
  /// Above 0 while inside an element of another namespace.
  private var skipping = 0

  /// For each CAP element that holds elements: which, and whether each may
  /// repeat (then its path carries an index).
  static let children: [String: [String: Bool]] = [
    "alert": [
      "identifier": false, "sender": false, "sent": false, "status": false, "msgType": false,
      "source": false, "scope": false, "restriction": false, "addresses": false, "code": true,
      "note": false, "references": false, "incidents": false, "info": true,
    ],
    "info": [
      "language": false, "category": true, "event": false, "responseType": true,
      "urgency": false, "severity": false, "certainty": false, "audience": false,
      "eventCode": true, "effective": false, "onset": false, "expires": false,
      "senderName": false, "headline": false, "description": false, "instruction": false,
      "web": false, "contact": false, "parameter": true, "resource": true, "area": true,
    ],
    "eventCode": ["valueName": false, "value": false],
    "parameter": ["valueName": false, "value": false],
    "geocode": ["valueName": false, "value": false],
    "resource": [
      "resourceDesc": false, "mimeType": false, "size": false, "uri": false, "derefUri": false,
      "digest": false,
    ],
    "area": [
      "areaDesc": false, "polygon": true, "circle": true, "geocode": true, "altitude": false,
      "ceiling": false,
    ],
  ]

  private static let known = Set(children.values.flatMap(\.keys)).union(["alert"])

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
    qualifiedName: String?, attributes: [String: String] = [:]
  ) {
    guard failure == nil else { return }
    if skipping > 0 {
      skipping += 1
      return
    }
    let line = parser.lineNumber
    let namespace = namespaceURI ?? ""
    guard let parent = stack.last else {
      if namespace != CAPReader.namespace {
        fail(parser, name, CAPReader.wrongNamespace(namespace), line)
      } else if name != "alert" {
        fail(parser, name, "the root element must be alert", line)
      } else {
        stack = [CAPNode(name: name, path: name, line: line)]
        seen = [[:]]
      }
      return
    }
    let here = "\(parent.path)/\(name)"
    if namespace.isEmpty {
      return fail(
        parser, here, "is in no namespace; CAP elements are in \(CAPReader.namespace)", line)
    }
    if namespace != CAPReader.namespace {
      skipping = 1
      return
    }
    guard let repeats = Self.children[parent.name]?[name] else {
      let why =
        Self.known.contains(name)
        ? "is not allowed inside \(parent.name)" : "is not a CAP 1.2 element"
      return fail(parser, here, why, line)
    }
    let count = seen[seen.count - 1][name, default: 0] + 1
    seen[seen.count - 1][name] = count
    if !repeats, count > 1 {
      return fail(parser, here, "appears more than once", line)
    }
    stack.append(CAPNode(name: name, path: repeats ? "\(here)[\(count)]" : here, line: line))
    seen.append([:])
  }

  func parser(
    _ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?
  ) {
    guard failure == nil else { return }
    if skipping > 0 {
      skipping -= 1
      return
    }
    guard var node = stack.popLast() else { return }
    seen.removeLast()
    if Self.children[node.name] != nil {
      if node.text.contains(where: { !$0.isWhitespace }) {
        return fail(parser, node.path, "has text outside its elements", node.line)
      }
      node.text = ""
    }
    if stack.isEmpty {
      root = node
    } else {
      stack[stack.count - 1].children.append(node)
    }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    guard failure == nil, skipping == 0, !stack.isEmpty else { return }
    stack[stack.count - 1].text += string
  }

  func parser(_ parser: XMLParser, foundCDATA block: Data) {
    guard failure == nil, skipping == 0, !stack.isEmpty else { return }
    guard let string = String(data: block, encoding: .utf8) else {
      return fail(parser, stack[stack.count - 1].path, "has a CDATA section that is not UTF-8")
    }
    stack[stack.count - 1].text += string
  }

  /// libxml2's error numbers reach us unnamed (and differ from Apple's
  /// `XMLParser.ErrorCode`), so the line is what locates the fault.
  func parser(_ parser: XMLParser, parseErrorOccurred error: Error) {
    guard failure == nil else { return }
    let path = stack.last?.path ?? ""
    let subject = path.isEmpty ? "document is" : "is"
    failure = CAPError(path, "\(subject) not well-formed XML", line: parser.lineNumber)
  }

  // MARK: DTD declarations: none is allowed (entity expansion, external entities).

  func parser(
    _ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?
  ) {
    refuseDeclaration(parser)
  }

  func parser(
    _ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?,
    systemID: String?
  ) {
    refuseDeclaration(parser)
  }

  func parser(
    _ parser: XMLParser, foundUnparsedEntityDeclarationWithName name: String, publicID: String?,
    systemID: String?, notationName: String?
  ) {
    refuseDeclaration(parser)
  }

  func parser(_ parser: XMLParser, foundElementDeclarationWithName name: String, model: String) {
    refuseDeclaration(parser)
  }

  func parser(
    _ parser: XMLParser, foundNotationDeclarationWithName name: String, publicID: String?,
    systemID: String?
  ) {
    refuseDeclaration(parser)
  }

  /// Called for a reference to an entity XML does not predefine.
  func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?)
    -> Data?
  {
    fail(
      parser, stack.last?.path ?? "",
      "uses the entity &\(name);, but CAP allows only &amp; &lt; &gt; &quot; &apos;")
    return nil
  }

  private func refuseDeclaration(_ parser: XMLParser) {
    fail(parser, "", CAPReader.declarationRefusal, parser.lineNumber)
  }

  private func fail(_ parser: XMLParser, _ path: String, _ message: String, _ line: Int? = nil) {
    guard failure == nil else { return }
    failure = CAPError(path, message, line: line ?? parser.lineNumber)
    parser.abortParsing()
  }
}
