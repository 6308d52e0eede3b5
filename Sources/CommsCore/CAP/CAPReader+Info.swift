import Foundation

extension CAPReader {
  static func info(_ node: CAPNode) throws(CAPError) -> CAPInfo {
    let fields = CAPFields(node)
    let language = try fields.optional("language").map(Self.language) ?? "en-US"
    var categories: [CAPCategory] = []
    for child in fields.all("category") {
      categories.append(try CAPFields.choice(child))
    }
    if categories.isEmpty {
      throw CAPError("\(node.path)/category", "is required", line: node.line)
    }
    let event = try fields.requiredText("event", nonEmpty: true)
    var responseTypes: [CAPResponseType] = []
    for child in fields.all("responseType") {
      responseTypes.append(try CAPFields.choice(child))
    }
    let urgency: CAPUrgency = try fields.choice("urgency")
    let severity: CAPSeverity = try fields.choice("severity")
    let certaintyNode = try fields.required("certainty")
    // CAP 1.2 keeps "Very Likely" as a deprecated synonym of Likely.
    let certainty: CAPCertainty =
      certaintyNode.token == "Very Likely" ? .likely : try CAPFields.choice(certaintyNode)
    var resources: [CAPResource] = []
    for child in fields.all("resource") {
      resources.append(try resource(child))
    }
    var areas: [CAPArea] = []
    for child in fields.all("area") {
      areas.append(try area(child))
    }
    return CAPInfo(
      language: language, categories: categories, event: event, responseTypes: responseTypes,
      urgency: urgency, severity: severity, certainty: certainty,
      audience: fields.text("audience"), eventCodes: try fields.valuePairs("eventCode"),
      effective: try fields.date("effective")?.date, onset: try fields.date("onset")?.date,
      expires: try fields.date("expires")?.date, senderName: fields.text("senderName"),
      headline: fields.text("headline"), description: fields.text("description"),
      instruction: fields.text("instruction"), web: fields.optional("web")?.token,
      contact: fields.text("contact"), parameters: try fields.valuePairs("parameter"),
      resources: resources, areas: areas)
  }

  /// An `xs:language` tag: letters, then hyphenated letters or digits, each
  /// part 1 to 8 long ("da-DK", "en-US", "sgn-DK").
  static func language(_ node: CAPNode) throws(CAPError) -> String {
    let tag = node.token
    let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
    let valid = parts.enumerated().allSatisfy { index, part in
      (1...8).contains(part.count)
        && part.allSatisfy { $0.isASCII && ($0.isLetter || (index > 0 && $0.isNumber)) }
    }
    guard valid else {
      throw CAPError(
        node.path, "\(CAPFields.quoted(tag)) is not a language tag like da-DK", line: node.line)
    }
    return tag
  }

  static func resource(_ node: CAPNode) throws(CAPError) -> CAPResource {
    let fields = CAPFields(node)
    var size: Int?
    if let child = fields.optional("size") {
      guard let bytes = Int(child.token), bytes >= 0 else {
        throw CAPError(
          child.path, "\(CAPFields.quoted(child.token)) is not a size in bytes", line: child.line)
      }
      size = bytes
    }
    return CAPResource(
      resourceDesc: try fields.requiredText("resourceDesc"),
      mimeType: try fields.token("mimeType"), size: size, uri: fields.optional("uri")?.token,
      derefUri: fields.optional("derefUri")?.token, digest: fields.optional("digest")?.token)
  }

  static func area(_ node: CAPNode) throws(CAPError) -> CAPArea {
    let fields = CAPFields(node)
    let areaDesc = try fields.requiredText("areaDesc", nonEmpty: true)
    var polygons: [CAPPolygon] = []
    for child in fields.all("polygon") {
      polygons.append(try polygon(child))
    }
    var circles: [CAPCircle] = []
    for child in fields.all("circle") {
      circles.append(try circle(child))
    }
    let altitude = try fields.decimal("altitude")
    let ceiling = try fields.decimal("ceiling")
    if ceiling != nil, altitude == nil {
      throw CAPError("\(node.path)/altitude", "required when ceiling is given", line: node.line)
    }
    return CAPArea(
      areaDesc: areaDesc, polygons: polygons, circles: circles,
      geocodes: try fields.valuePairs("geocode"), altitude: altitude, ceiling: ceiling)
  }

  /// `<polygon>`: whitespace-separated `lat,lon` pairs, at least four, the
  /// first and last the same (the standard's definition of a closed ring).
  static func polygon(_ node: CAPNode) throws(CAPError) -> CAPPolygon {
    var points: [CAPPoint] = []
    for pair in node.text.split(whereSeparator: \.isWhitespace) {
      points.append(try point(pair, node))
    }
    guard points.count >= 4 else {
      throw CAPError(
        node.path, "has \(points.count) points; a polygon needs at least 4", line: node.line)
    }
    guard points.first == points.last else {
      throw CAPError(
        node.path, "is not closed: the last point must equal the first", line: node.line)
    }
    return CAPPolygon(points: points)
  }

  /// `<circle>`: a `lat,lon` centre, a space, and a radius in kilometres.
  static func circle(_ node: CAPNode) throws(CAPError) -> CAPCircle {
    let parts = node.text.split(whereSeparator: \.isWhitespace)
    guard parts.count == 2 else {
      throw CAPError(
        node.path, "\(CAPFields.quoted(node.token)) is not \"lat,lon radius\"", line: node.line)
    }
    guard let radius = CAPDecimal.parse(parts[1]), radius >= 0 else {
      throw CAPError(
        node.path, "radius \(CAPFields.quoted(parts[1])) is not a distance in km", line: node.line)
    }
    return CAPCircle(center: try point(parts[0], node), radius: radius)
  }

  private static func point(_ pair: Substring, _ node: CAPNode) throws(CAPError) -> CAPPoint {
    let numbers = pair.split(separator: ",", omittingEmptySubsequences: false)
    guard numbers.count == 2, let latitude = CAPDecimal.parse(numbers[0]),
      let longitude = CAPDecimal.parse(numbers[1]), (-90...90).contains(latitude),
      (-180...180).contains(longitude)
    else {
      throw CAPError(
        node.path, "\(CAPFields.quoted(pair)) is not a WGS 84 \"latitude,longitude\" pair",
        line: node.line)
    }
    return CAPPoint(latitude: latitude, longitude: longitude)
  }
}
